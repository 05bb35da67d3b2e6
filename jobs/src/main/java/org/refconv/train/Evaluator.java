package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.InputPipeline;
import org.refconv.dist.Collectives;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.NoGrad;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.models.Classifier;

/**
 * Top-1 and top-5 of one or more models over a validation split, in one pass that decodes each image once. Training
 * uses it on each rank's share of the split (the counts are then summed over the ranks), publish on the whole split
 * on one host.
 */
public final class Evaluator {

    /** Hits among {@code images} images; top-1 and top-5 are NaN when there were none. */
    public record Scores(long images, long top1Hits, long top5Hits) {

        public double top1() {
            return images == 0 ? Double.NaN : (double) top1Hits / images;
        }

        public double top5() {
            return images == 0 ? Double.NaN : (double) top5Hits / images;
        }

        /** The scores of every rank's share, summed with an all-reduce. */
        public Scores sumOverRanks(Collectives group) {
            Tensor total = Tensors.fromFloats(new float[] {top1Hits, top5Hits, images}, 3)
                    .to(torch.ScalarType.Double);
            group.allReduceSum(List.of(total));
            float[] sums = Tensors.toFloats(total);
            return new Scores((long) sums[2], (long) sums[0], (long) sums[1]);
        }
    }

    /** Sees each batch after every model scored it: the images as fed and each model's logits, in order. */
    @FunctionalInterface
    public interface BatchListener {
        void batch(Tensor images, List<Tensor> logits);
    }

    private final InputPipeline split;
    private final int numClasses;
    private final BatchTensors tensors;
    private final ComputeTurns turns;

    /** {@code turns}: the rank's turns at native compute ({@link Placement}); forward passes are taken in them. */
    public Evaluator(InputPipeline split, int numClasses, BatchTensors tensors, ComputeTurns turns) {
        this.split = split;
        this.numClasses = numClasses;
        this.tensors = tensors;
        this.turns = turns;
    }

    public Scores score(Classifier model) throws IOException {
        return score(List.of(model), null).get(0);
    }

    /** Puts every model in eval mode and scores each on every batch of the split; {@code listener} may be null. */
    public List<Scores> score(List<Classifier> models, BatchListener listener) throws IOException {
        models.forEach(Classifier::eval);
        long[][] counts = new long[models.size()][3];
        try (BatchIterator batches = split.everyRow()) {
            while (batches.hasNext()) {
                Batch b = batches.next();
                try (StepScope ignored = StepScope.openWithoutTrim();
                        NoGrad ng = NoGrad.enter();
                        ComputeTurns.Turn turn = turns.take()) {
                    Tensor images = tensors.images(b);
                    List<Tensor> logits = new ArrayList<>(models.size());
                    for (int m = 0; m < models.size(); m++) {
                        Tensor out = models.get(m).forward(images);
                        logits.add(out);
                        TopK.count(Tensors.toFloats(out), b.labels(), numClasses, counts[m]);
                    }
                    if (listener != null) {
                        listener.batch(images, logits);
                    }
                }
            }
        }
        List<Scores> out = new ArrayList<>(models.size());
        for (long[] c : counts) {
            out.add(new Scores(c[2], c[0], c[1]));
        }
        return out;
    }
}
