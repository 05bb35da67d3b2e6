package org.refconv.data.input;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

import org.apache.hadoop.conf.Configuration;

/**
 * The training input: one rank's deterministic, per-epoch shuffled, disjoint share of a prepared split, as
 * batches of normalised CHW floats. Depends on Hadoop and parquet-hadoop only (both come with Spark), never
 * on the trainer.
 *
 * <pre>
 * InputPipeline input = InputPipeline.builder("hdfs://nn/data/imagenet/train")
 *     .rank(rank).worldSize(world).seed(42).batchSize(64).transform(ImageTransform.train(224)).build();
 * try (BatchIterator batches = input.epoch(e)) {
 *   while (batches.hasNext()) { Batch b = batches.next(); ... }
 * }
 * </pre>
 */
public final class InputPipeline {

    /** Everything that defines the stream of batches. */
    public record Options(
            String splitDir,
            int rank,
            int worldSize,
            long seed,
            int batchSize,
            ImageTransform transform,
            Normalization normalization,
            int threads,
            int prefetch,
            int shuffleWindow,
            SampleDecoder.Kind decoder) {}

    private final Options options;
    private final Configuration conf;
    private final List<RowGroupRef> rowGroups;

    private InputPipeline(Options options, Configuration conf) throws IOException {
        this.options = options;
        this.conf = conf;
        this.rowGroups = ShardFiles.rowGroups(conf, options.splitDir());
    }

    public static Builder builder(String splitDir) {
        return new Builder(splitDir);
    }

    public Options options() {
        return options;
    }

    /** The plan of an epoch (same on every rank). */
    public EpochPlan plan(long epoch) {
        return EpochPlan.create(rowGroups, options.worldSize(), epoch, options.seed(), options.batchSize());
    }

    /** This rank's batches for {@code epoch}; close it to stop its worker threads. */
    public BatchIterator epoch(long epoch) {
        EpochPlan plan = plan(epoch);
        return batches(plan.rowGroupsOf(options.rank()), epoch, plan.batchesPerRank() * options.batchSize());
    }

    /**
     * This rank's whole share of the split (epoch 0's deal), every row once, in batches of the pipeline's size and a
     * smaller last one: for evaluation, where the ranks take no collective step per batch, so their batch counts may
     * differ. The shares of all ranks together cover the split.
     */
    public BatchIterator everyRow() {
        List<RowGroupRef> share = plan(0).rowGroupsOf(options.rank());
        long rows = share.stream().mapToLong(RowGroupRef::rows).sum();
        return batches(share, 0, rows);
    }

    /** {@code samples} samples of {@code share} in batches, with this rank's seed for {@code epoch}. */
    private BatchIterator batches(List<RowGroupRef> share, long epoch, long samples) {
        long rankSeed = Seeds.mix(options.seed(), epoch, options.rank());
        RankSamples rows = new RankSamples(conf, share, options.shuffleWindow(), rankSeed, samples);
        return new BatchIterator(rows, options, rankSeed, samples);
    }

    /** Builder with torchvision-like defaults: ImageNet normalisation, one worker per core, 2 batches ahead. */
    public static final class Builder {
        private final String splitDir;
        private int rank;
        private int worldSize = 1;
        private long seed;
        private int batchSize = 32;
        private ImageTransform transform = ImageTransform.train(224);
        private Normalization normalization = Normalization.IMAGENET;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetch = 2;
        private int shuffleWindow = 4;
        // Shards hold only baseline RGB JPEGs (prepare converted CMYK & co), which OpenCV decodes and augments
        // faster than ImageIO, to the same pixels within a level (docs/benchmarks.md, OpenCvDecodeTest).
        private SampleDecoder.Kind decoder = SampleDecoder.Kind.OPENCV;
        private Configuration conf = new Configuration();

        private Builder(String splitDir) {
            this.splitDir = Objects.requireNonNull(splitDir);
        }

        public Builder rank(int rank) {
            this.rank = rank;
            return this;
        }

        public Builder worldSize(int worldSize) {
            this.worldSize = worldSize;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder transform(ImageTransform transform) {
            this.transform = transform;
            return this;
        }

        public Builder normalization(Normalization normalization) {
            this.normalization = normalization;
            return this;
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }
        /** Row groups whose rows are shuffled together (memory: that many row groups of JPEG bytes). */
        public Builder shuffleWindow(int rowGroups) {
            this.shuffleWindow = rowGroups;
            return this;
        }

        public Builder decoder(SampleDecoder.Kind decoder) {
            this.decoder = decoder;
            return this;
        }

        public Builder hadoopConf(Configuration conf) {
            this.conf = conf;
            return this;
        }

        public InputPipeline build() throws IOException {
            if (worldSize < 1 || rank < 0 || rank >= worldSize) {
                throw new IllegalArgumentException("rank " + rank + " is not in 0.." + (worldSize - 1));
            }
            if (batchSize < 1 || threads < 1 || prefetch < 1 || shuffleWindow < 1) {
                throw new IllegalArgumentException("batchSize, threads, prefetch and shuffleWindow must be >= 1");
            }
            return new InputPipeline(
                    new Options(
                            splitDir,
                            rank,
                            worldSize,
                            seed,
                            batchSize,
                            transform,
                            normalization,
                            threads,
                            prefetch,
                            shuffleWindow,
                            decoder),
                    conf);
        }
    }
}
