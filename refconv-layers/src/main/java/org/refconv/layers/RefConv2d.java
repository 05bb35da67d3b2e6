package org.refconv.layers;

import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.refconv.engine.Autocast;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.RefocusKernel;
import org.refconv.engine.Tensors;

/**
 * Re-parameterized refocusing convolution (RefConv, Cai, Ding et al.).
 *
 * <p>The pretrained basis weight Wb [Cout, Cin/g, K, K] is frozen: it is a buffer named {@code weight}, so a
 * pretrained checkpoint loads by name, as in the official code. The trainable refocusing transform
 * {@code convmap} is a conv over the weights themselves: Wb viewed as one image of n2d = Cout*Cin/g channels of
 * K x K, convolved with Wr [n2d, n2d/G, 3, 3], padding 1, groups G = Cin*Cout/g^2 (Eq. 2). The input is then
 * convolved with Wt = Wb * Wr + Wb (Eq. 1) with the original stride, padding, dilation and groups. A bias, if
 * the original conv has one, stays a trainable parameter named {@code bias}. With {@code trainBasis} (an ablation)
 * the basis is a trainable parameter under the same name.
 *
 * <p>Dense 3x3 convs (G = n2d) on the CPU use the fused transform ({@link RefocusKernel}) when it is available: the
 * forward computes Wt outside autograd into a leaf tensor ({@link #fusedWeight()}), backward leaves dWt there, and
 * {@link #applyFusedGradient()} turns it into dWr. Training loops call that after backward (and after averaging
 * dWt over ranks: dWr is linear in dWt and Wb is the same everywhere), through
 * {@link org.refconv.reparam.DeferredGradients}. Every other shape uses libtorch's autograd transform.
 */
public class RefConv2d extends Module implements ReparamConv {

    private final Conv2dSpec spec;
    private final RefConvOptions options;
    private final Tensor weight;
    private final Tensor bias;
    // Kept in a field: the parent holds only a pointer, and the Java object must outlive it (JavaCPP pitfall).
    private final Conv2d convmap;
    private final long n2d;
    private final long mapGroups;
    /** Whether this layer's shape suits the fused transform; it is used when the basis is float32 on the CPU too. */
    private final boolean fusable;
    /** The fused path's Wt: a leaf that receives dWt; made on first use, then rewritten in place by each forward. */
    private Tensor fusedWeight;

    public RefConv2d(Conv2dSpec spec, RefConvOptions options) {
        String where = "RefConv for conv '" + spec.name() + "': ";
        if (spec.kernelH() != spec.kernelW()) {
            throw new IllegalArgumentException(where + "kernel " + spec.kernelH() + "x" + spec.kernelW()
                    + " is not square; the refocusing transform treats each K x K kernel as an image");
        }
        if (spec.kernelH() == 1) {
            throw new IllegalArgumentException(where + "1x1 convs are not refocused: a 3x3 transform over a 1x1 map"
                    + " degenerates to a channel mix (the paper leaves them as they are)");
        }
        this.spec = spec;
        this.options = options;
        long g = spec.groups();
        this.n2d = (long) spec.outChannels() * spec.inChannels() / g;
        this.mapGroups = (long) (spec.inChannels() / spec.groups()) * (spec.outChannels() / spec.groups());
        if (n2d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + "n2d = " + n2d + " channels is too large");
        }
        this.weight = options.trainBasis()
                ? Modules.registerParameter(this, "weight", Tensors.zeros(spec.weightShape()))
                : Modules.registerBuffer(this, "weight", Tensors.zeros(spec.weightShape()));
        if (spec.bias()) {
            this.bias = Modules.registerParameter(this, "bias", Tensors.zeros(spec.outChannels()));
        } else {
            this.bias = null;
        }
        int k = options.mapKernel();
        Conv2dSpec mapSpec =
                Conv2dSpec.of(spec.name() + ".convmap", (int) n2d, (int) n2d, k, 1, k / 2, (int) mapGroups, false);
        this.convmap = register_module("convmap", new Conv2d(mapSpec));
        this.fusable =
                RefocusKernel.available() && spec.kernelH() == 3 && k == 3 && mapGroups == n2d && !options.trainBasis();
        switch (options.init()) {
            case XAVIER -> Init.xavierUniform(convmap.weight());
            case ZERO -> Init.zeros(convmap.weight());
            case KAIMING -> Init.torchDefault(convmap.weight());
        }
    }

    /** Wt = Wb * Wr (+ Wb), with autograd recording when it is on. */
    public Tensor transformedWeight() {
        return transform(weight, convmap.weight(), mapGroups, options.identity());
    }

    /**
     * Eq. 1 on plain tensors: Wt = conv2d(Wb viewed as [1, n2d, K, K], Wr, padding k/2, groups G) (+ Wb), in Wb's
     * shape. The one definition of the transform: the layer and the checkpoint analysis both use it.
     */
    public static Tensor transform(Tensor basis, Tensor refocusing, long mapGroups, boolean identity) {
        // In fp32 under autocast too (the fused kernel's precision): Wt is cast once, at the convolution with x.
        try (Autocast ignored = Autocast.suspend()) {
            return transformInInputType(basis, refocusing, mapGroups, identity);
        }
    }

    private static Tensor transformInInputType(Tensor basis, Tensor refocusing, long mapGroups, boolean identity) {
        long[] shape = Tensors.shape(basis);
        long n2d = shape[0] * shape[1];
        long pad = Tensors.shape(refocusing)[2] / 2;
        Tensor refocused = Ops.conv2d(
                        basis.view(1, n2d, shape[2], shape[3]),
                        refocusing,
                        null,
                        new long[] {1, 1},
                        new long[] {pad, pad},
                        new long[] {1, 1},
                        mapGroups)
                .view(shape);
        return identity ? refocused.add(basis) : refocused;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.conv2d(x, forwardWeight(), bias, spec.strides(), spec.paddings(), spec.dilations(), spec.groups());
    }

    /** The Wt that forward convolves with: the fused path's leaf, freshly computed, or the autograd transform. */
    public Tensor forwardWeight() {
        return usesFusedTransform() ? refreshFusedWeight() : transformedWeight();
    }

    /** True when forward uses the fused transform: training loops must then call {@link #applyFusedGradient()}. */
    public boolean usesFusedTransform() {
        return fusable && !weight.is_cuda() && weight.scalar_type().intern() == ScalarType.Float;
    }

    /**
     * The leaf that holds Wt on the fused path (the tensor whose gradient a data-parallel step averages in place of
     * Wr's). It requires grad exactly when Wr does.
     */
    public Tensor fusedWeight() {
        if (!usesFusedTransform()) {
            throw new IllegalStateException("RefConv '" + spec.name() + "' does not use the fused transform");
        }
        Tensor wr = convmap.weight();
        if (fusedWeight == null) {
            fusedWeight = Tensors.keepAlive(Tensors.zeros(spec.weightShape()));
        }
        if (fusedWeight.requires_grad() != wr.requires_grad()) {
            Tensors.requiresGrad(fusedWeight, wr.requires_grad());
        }
        return fusedWeight;
    }

    /**
     * Recomputes Wt from the current Wb and Wr (both may have changed since the last forward: an optimizer step, a
     * loaded checkpoint, a broadcast from rank 0). A dWt still waiting means the last backward's gradient never
     * reached Wr, which would silently skip Wr's update: refused.
     */
    private Tensor refreshFusedWeight() {
        Tensor wt = fusedWeight();
        if (wt.grad().defined()) {
            throw new IllegalStateException("RefConv '" + spec.name() + "': the gradient of the last backward was not"
                    + " applied to the refocusing weight; call DeferredGradients.apply() (or applyFusedGradient())"
                    + " after backward and before the next forward");
        }
        RefocusKernel.forward(weight, convmap.weight(), wt, options.identity());
        return wt;
    }

    /**
     * dWr from the dWt that backward left on {@link #fusedWeight()} (added to dWr if Wr already has a gradient, as
     * autograd accumulates); dWt is then dropped. Nothing to do when no backward reached this layer.
     */
    public void applyFusedGradient() {
        if (fusedWeight == null || !fusedWeight.grad().defined()) {
            return;
        }
        Tensor wr = convmap.weight();
        Tensor existing = wr.grad();
        if (existing.defined()) {
            RefocusKernel.backward(weight, fusedWeight.grad(), existing, true);
        } else {
            Tensor grad = Tensors.emptyLike(wr);
            RefocusKernel.backward(weight, fusedWeight.grad(), grad, false);
            Tensors.setGrad(wr, grad);
        }
        Tensors.dropGrad(fusedWeight);
    }

    @Override
    public List<String> addedKeys() {
        return List.of("convmap.weight");
    }

    @Override
    public ConvWeights merge() {
        try (NoGrad ignored = NoGrad.enter()) {
            return new ConvWeights(transformedWeight(), bias == null ? null : bias.clone());
        }
    }

    @Override
    public Conv2dSpec spec() {
        return spec;
    }

    @Override
    public Module module() {
        return this;
    }

    public RefConvOptions options() {
        return options;
    }

    /** The frozen basis Wb. */
    public Tensor basisWeight() {
        return weight;
    }

    /** The trainable refocusing weight Wr [n2d, n2d/G, k, k]. */
    public Tensor refocusingWeight() {
        return convmap.weight();
    }

    public Tensor bias() {
        return bias;
    }

    /** n2d = Cout * Cin / g: the number of 2-D kernels in Wb (channels of the refocusing transform). */
    public long n2d() {
        return n2d;
    }

    /** G = Cin * Cout / g^2: the groups of the refocusing transform (1 for depthwise, n2d for dense convs). */
    public long mapGroups() {
        return mapGroups;
    }
}
