package org.refconv.dist;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;

/**
 * Averages gradients across ranks after backward: parameters are grouped into buckets of about {@code bucketBytes},
 * each bucket's gradients are flattened into one tensor, all-reduced (summed) in a single blocking collective and
 * divided by the world size. Fewer, larger messages keep Gloo's per-call latency out of the step; the communication
 * never overlaps compute, unlike {@link ReducerGradientSync}, which is what DDP does.
 */
public final class BlockingGradientSync implements GradientSync {

    /** PyTorch DDP's default bucket size. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final Collectives collectives;
    private final ComputeTurns turns;
    private final List<List<Tensor>> buckets = new ArrayList<>();

    public BlockingGradientSync(Collectives collectives, List<Tensor> parameters, long bucketBytes) {
        this(collectives, parameters, bucketBytes, ComputeTurns.NONE);
    }

    /** With {@code turns}, backward waits for this thread's turn at native compute; the all-reduce does not. */
    public BlockingGradientSync(
            Collectives collectives, List<Tensor> parameters, long bucketBytes, ComputeTurns turns) {
        this.collectives = collectives;
        this.turns = turns;
        List<Tensor> current = new ArrayList<>();
        long bytes = 0;
        for (Tensor p : parameters) {
            current.add(p);
            bytes += p.numel() * p.element_size();
            if (bytes >= bucketBytes) {
                buckets.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
        }
        if (!current.isEmpty()) {
            buckets.add(current);
        }
    }

    public int bucketCount() {
        return buckets.size();
    }

    @Override
    public void backward(Tensor loss) {
        try (ComputeTurns.Turn ignored = turns.take()) {
            loss.backward();
        }
        average();
    }

    /** Nothing to release: this averager attaches nothing to the parameters. */
    @Override
    public void close() {}

    /** Replaces every parameter's gradient by its mean over all ranks. */
    public void average() {
        double inv = 1.0 / collectives.worldSize();
        try (NoGrad ignored = NoGrad.enter()) {
            for (List<Tensor> bucket : buckets) {
                TensorVector flats = new TensorVector();
                for (Tensor p : bucket) {
                    Tensor g = p.grad();
                    if (!g.defined()) {
                        throw new IllegalStateException(
                                "a trainable parameter of shape " + Arrays.toString(Tensors.shape(p))
                                        + " got no gradient: every rank must run backward through the whole model");
                    }
                    flats.push_back(g.reshape(-1));
                }
                Tensor flat = torch.cat(flats);
                collectives.allReduceSum(List.of(flat));
                flat.mul_(new Scalar(inv));
                long offset = 0;
                for (Tensor p : bucket) {
                    long n = p.numel();
                    p.grad().copy_(flat.narrow(0, offset, n).view(p.sizes()));
                    offset += n;
                }
            }
        }
    }
}
