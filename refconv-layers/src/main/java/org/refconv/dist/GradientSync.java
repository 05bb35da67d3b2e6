package org.refconv.dist;

import java.util.List;
import java.util.Locale;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.ComputeTurns;

/**
 * How a data-parallel step turns each rank's gradients into their mean over all ranks: the step hands its loss to
 * {@link #backward}, which leaves every trainable parameter's {@code grad} averaged. Closing releases what the
 * strategy attached to the parameters.
 */
public interface GradientSync extends AutoCloseable {

    /** Runs backward from {@code loss}; on return every parameter's gradient is its mean over the ranks. */
    void backward(Tensor loss);

    @Override
    void close();

    /** The strategies: all-reduce after backward, or all-reduce buckets while backward is still running. */
    enum Mode {
        BLOCKING,
        OVERLAPPED;

        public static Mode parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * What the all-reduce sends: the float32 gradients, or each bucket cast to float16 (DDP's built-in
     * {@code FP16_COMPRESS} hook: half the bytes, about 3 significant digits per averaged gradient).
     */
    enum Compression {
        NONE,
        FP16;

        public static Compression parse(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    /** Buckets of about {@code bucketBytes} ({@link BlockingGradientSync#DEFAULT_BUCKET_BYTES}, as DDP's default). */
    static GradientSync create(Mode mode, Collectives collectives, List<Tensor> parameters, long bucketBytes) {
        return create(mode, Compression.NONE, collectives, parameters, bucketBytes);
    }

    /** As {@link #create(Mode, Collectives, List, long)}; compression needs the overlapped mode (DDP's Reducer). */
    static GradientSync create(
            Mode mode, Compression compression, Collectives collectives, List<Tensor> parameters, long bucketBytes) {
        return create(mode, compression, collectives, parameters, bucketBytes, ComputeTurns.NONE);
    }

    /**
     * As {@link #create(Mode, Compression, Collectives, List, long)}, backward taken in {@code turns}: exclusive turns
     * need the blocking mode, whose all-reduce comes after backward (the overlapped one's runs inside it, and a rank
     * holding its turn there would wait for a rank that waits for the turn).
     */
    static GradientSync create(
            Mode mode,
            Compression compression,
            Collectives collectives,
            List<Tensor> parameters,
            long bucketBytes,
            ComputeTurns turns) {
        if (turns.exclusive() && mode != Mode.BLOCKING) {
            throw new IllegalArgumentException(
                    "ranks taking turns at compute need the blocking gradient sync, not " + mode);
        }
        return switch (mode) {
            case BLOCKING -> {
                if (compression != Compression.NONE) {
                    throw new IllegalArgumentException("gradient compression " + compression
                            + " needs the overlapped gradient sync (DDP's Reducer), not " + mode);
                }
                yield new BlockingGradientSync(collectives, parameters, bucketBytes, turns);
            }
            case OVERLAPPED -> new ReducerGradientSync(collectives, parameters, bucketBytes, compression);
        };
    }
}
