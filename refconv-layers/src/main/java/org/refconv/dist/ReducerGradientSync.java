package org.refconv.dist;

import java.util.List;

import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.LoggerOptional;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.T_SizeTVectorVectorSizeTVector_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Averages gradients while backward is still running, with c10d's own DDP {@code Reducer}: it hooks every
 * parameter's gradient accumulator, and as soon as all gradients of a bucket are ready, copies them (divided by the
 * world size) into the bucket and starts its all-reduce asynchronously; the end of backward waits for the buckets and
 * leaves the means in {@code grad}, which is a view of its bucket (DDP's {@code gradient_as_bucket_view}).
 * Communication of the last layers' buckets thus overlaps the backward pass of the first layers, which a blocking
 * average after backward ({@link BlockingGradientSync}) cannot do.
 *
 * <p>Every parameter must get a gradient in every step (the Reducer runs without {@code find_unused_parameters}:
 * a parameter without one would leave its bucket waiting). Parameters must not be re-created while it lives.
 */
final class ReducerGradientSync implements GradientSync {

    /** DDP's first bucket is small (1 MB) so that the first all-reduce starts as early as possible in backward. */
    private static final long FIRST_BUCKET_BYTES = torch.kDefaultFirstBucketBytes();

    /** The hooks point at the Reducer: it must stay reachable until {@link #close()}, which removes them. */
    private final Reducer reducer;

    ReducerGradientSync(Collectives collectives, List<Tensor> parameters, long bucketBytes, Compression compression) {
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("no trainable parameters to average");
        }
        long firstBucketBytes = Math.min(FIRST_BUCKET_BYTES, bucketBytes);
        // The native calls copy these vectors, so they may go once the Reducer is built.
        try (TensorVector params = new TensorVector(parameters.toArray(new Tensor[0]));
                BoolVector dense = new BoolVector((long) parameters.size());
                SizeTVectorVector buckets = bucketsInBackwardOrder(params, dense, firstBucketBytes, bucketBytes);
                SizeTStringMap noNames = new SizeTStringMap()) {
            // find_unused_parameters off; gradient_as_bucket_view on: after the first copy into the bucket, each
            // grad is a view of its bucket, so the averaged values need no copy back (one gradient-sized pass less).
            reducer = new Reducer(
                    params,
                    buckets,
                    collectives.processGroup(),
                    dense,
                    bucketBytes,
                    false,
                    true,
                    noNames,
                    firstBucketBytes,
                    false,
                    false);
        }
        if (compression == Compression.FP16) {
            // c10d's own hook: divides by the world size, casts the bucket to float16, all-reduces, casts back.
            reducer.register_builtin_comm_hook(torch.BuiltinCommHookType.FP16_COMPRESS);
        }
    }

    /**
     * Parameter indices per bucket, as DDP assigns them: buckets of consecutive parameters (a small first one), in
     * reverse order, since gradients become ready from the last layer back to the first.
     */
    private static SizeTVectorVector bucketsInBackwardOrder(
            TensorVector params, BoolVector dense, long firstBucketBytes, long bucketBytes) {
        try (SizeTVector limits = new SizeTVector(firstBucketBytes, bucketBytes);
                LongVector allIndices = new LongVector();
                LoggerOptional noLogger = new LoggerOptional();
                T_SizeTVectorVectorSizeTVector_T assignment =
                        torch.compute_bucket_assignment_by_size(params, limits, dense, allIndices, noLogger)) {
            SizeTVectorVector forward = assignment.get0();
            int n = (int) forward.size();
            SizeTVector[] reversed = new SizeTVector[n];
            for (int i = 0; i < n; i++) {
                reversed[i] = new SizeTVector(forward.get(n - 1 - i).get());
            }
            SizeTVectorVector out = new SizeTVectorVector(reversed);
            for (SizeTVector v : reversed) {
                v.close();
            }
            return out;
        }
    }

    @Override
    public void backward(Tensor loss) {
        // The first backward records the order in which gradients became ready; the next call re-buckets by that order
        // (a broadcast from rank 0, so every rank makes it at the same step), later calls return at once. DDP does this
        // at the start of forward; here, before backward, the Reducer is just as idle.
        reducer.rebuild_buckets();
        // Arms the hooks for one backward pass. Without find_unused_parameters no outputs are needed.
        try (TensorVector noOutputs = new TensorVector()) {
            reducer.prepare_for_backward(noOutputs);
        }
        loss.backward();
    }

    @Override
    public void close() {
        reducer.close();
    }
}
