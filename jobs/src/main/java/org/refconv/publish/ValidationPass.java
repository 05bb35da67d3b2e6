package org.refconv.publish;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.input.Preprocessing;
import org.refconv.data.input.RowGroupRef;
import org.refconv.data.input.ShardFiles;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.models.Classifier;
import org.refconv.train.TopK;

/**
 * One pass over the whole validation split on this host (rank 0 of a world of 1), decoding each image once: top-1
 * and top-5 of the model to publish and, when given, of the baseline; and on the first {@code sampleImages} the
 * largest logit difference between the model as trained (RefConv) and the folded one, relative to the largest
 * logit magnitude. The batch size is the largest divisor of the split's size not above the configured one, so no
 * image is dropped.
 */
public final class ValidationPass {

    /** Top-1 and top-5 over {@code images} images. */
    public record Scores(long images, double top1, double top5) {
        static Scores of(long[] counts) {
            return counts[2] == 0
                    ? new Scores(0, Double.NaN, Double.NaN)
                    : new Scores(counts[2], (double) counts[0] / counts[2], (double) counts[1] / counts[2]);
        }
    }

    /** What the pass measured; {@code baseline} is null when no baseline was given, the difference NaN likewise. */
    public record Result(Scores published, Scores baseline, long sampledImages, double maxRelativeDifference) {}

    private final String splitDir;
    private final int imageSize;
    private final int numClasses;
    private final int maxBatch;
    private final int threads;
    private final Configuration conf;

    public ValidationPass(
            String splitDir, int imageSize, int numClasses, int maxBatch, int threads, Configuration conf) {
        this.splitDir = splitDir;
        this.imageSize = imageSize;
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
        long rows = ShardFiles.rowGroups(conf, splitDir).stream()
                .mapToLong(RowGroupRef::rows)
                .sum();
        InputPipeline val = InputPipeline.builder(splitDir)
                .rank(0)
                .worldSize(1)
                .seed(0)
                .batchSize(batchSize(rows, maxBatch))
                .transform(Preprocessing.transform(imageSize))
                .threads(threads)
                .hadoopConf(conf)
                .build();
        long[] publishedCounts = new long[3];
        long[] baselineCounts = new long[3];
        long sampled = 0;
        double maxDiff = 0;
        double maxAbs = 0;
        try (BatchIterator batches = val.epoch(0)) {
            while (batches.hasNext()) {
                Batch b = batches.next();
                try (StepScope ignored = StepScope.openWithoutTrim();
                        NoGrad ng = NoGrad.enter()) {
                    Tensor x = Tensors.fromFloats(b.images(), b.size(), 3, b.height(), b.width());
                    Tensor logits = published.forward(x);
                    TopK.count(Tensors.toFloats(logits), b.labels(), numClasses, publishedCounts);
                    if (baseline != null) {
                        TopK.count(Tensors.toFloats(baseline.forward(x)), b.labels(), numClasses, baselineCounts);
                    }
                    if (trained != null && sampled < sampleImages) {
                        Tensor reference = trained.forward(x);
                        maxDiff = Math.max(maxDiff, Ops.maxAbsDiff(reference, logits));
                        maxAbs = Math.max(maxAbs, Ops.maxAbs(reference));
                        sampled += b.size();
                    }
                }
            }
        }
        double relative = trained == null || sampled == 0 ? Double.NaN : maxDiff / Math.max(maxAbs, 1e-30);
        return new Result(
                Scores.of(publishedCounts), baseline == null ? null : Scores.of(baselineCounts), sampled, relative);
    }

    /** The largest divisor of {@code rows} that is at most {@code max} (1 at worst). */
    static int batchSize(long rows, int max) {
        for (int b = (int) Math.min(max, Math.max(1, rows)); b > 1; b--) {
            if (rows % b == 0) {
                return b;
            }
        }
        return 1;
    }
}
