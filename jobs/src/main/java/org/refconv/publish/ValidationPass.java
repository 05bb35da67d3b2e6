package org.refconv.publish;

import java.io.IOException;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.input.Preprocessing;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Ops;
import org.refconv.models.Classifier;
import org.refconv.train.BatchTensors;
import org.refconv.train.Evaluator;

/**
 * One pass over the whole validation split on this host (rank 0 of a world of 1), decoding each image once: top-1
 * and top-5 of the model to publish and, when given, of the baseline; and on the first {@code sampleImages} the
 * largest logit difference between the model as trained (RefConv) and the folded one, relative to the largest
 * logit magnitude. Every image is scored: the last batch is smaller when the batch size does not divide the split.
 */
public final class ValidationPass {

    /** What the pass measured; {@code baseline} is null when no baseline was given, the difference NaN likewise. */
    public record Result(
            Evaluator.Scores published, Evaluator.Scores baseline, long sampledImages, double maxRelativeDifference) {}

    private final String splitDir;
    private final ImageTransform transform;
    private final int numClasses;
    private final int maxBatch;
    private final int threads;
    private final Configuration conf;

    public ValidationPass(
            String splitDir, int imageSize, int numClasses, int maxBatch, int threads, Configuration conf) {
        this(splitDir, Preprocessing.transform(imageSize), numClasses, maxBatch, threads, conf);
    }

    /** {@code transform}: the run's evaluation transform ({@code Augment#eval}). */
    public ValidationPass(
            String splitDir, ImageTransform transform, int numClasses, int maxBatch, int threads, Configuration conf) {
        this.splitDir = splitDir;
        this.transform = transform;
        this.numClasses = numClasses;
        this.maxBatch = maxBatch;
        this.threads = threads;
        this.conf = conf;
    }

    /**
     * @param published the plain model to publish (scored)
     * @param trained the model as trained, compared with {@code published} on the sample; null to skip
     * @param baseline scored as well; null to skip
     */
    public Result run(Classifier published, Classifier trained, Classifier baseline, int sampleImages)
            throws IOException {
        InputPipeline val = InputPipeline.builder(splitDir)
                .rank(0)
                .worldSize(1)
                .seed(0)
                .batchSize(maxBatch)
                .transform(transform)
                .threads(threads)
                .hadoopConf(conf)
                .build();
        List<Classifier> models = baseline == null ? List.of(published) : List.of(published, baseline);
        FoldCheck fold = new FoldCheck(trained, sampleImages);
        if (trained != null) {
            trained.eval();
        }
        List<Evaluator.Scores> scores = new Evaluator(val, numClasses, BatchTensors.CPU, ComputeTurns.NONE)
                .score(models, (images, logits) -> fold.compare(images, logits.get(0)));
        return new Result(
                scores.get(0), baseline == null ? null : scores.get(1), fold.sampled, fold.relativeDifference());
    }

    /** The largest logit difference between the model as trained and the folded one, on the first images. */
    private static final class FoldCheck {
        private final Classifier trained;
        private final int sampleImages;
        private long sampled;
        private double maxDiff;
        private double maxAbs;

        FoldCheck(Classifier trained, int sampleImages) {
            this.trained = trained;
            this.sampleImages = sampleImages;
        }

        void compare(Tensor images, Tensor folded) {
            if (trained != null && sampled < sampleImages) {
                Tensor reference = trained.forward(images);
                maxDiff = Math.max(maxDiff, Ops.maxAbsDiff(reference, folded));
                maxAbs = Math.max(maxAbs, Ops.maxAbs(reference));
                sampled += images.size(0);
            }
        }

        double relativeDifference() {
            return trained == null || sampled == 0 ? Double.NaN : maxDiff / Math.max(maxAbs, 1e-30);
        }
    }
}
