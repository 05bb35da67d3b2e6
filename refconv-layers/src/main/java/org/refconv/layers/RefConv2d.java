package org.refconv.layers;

import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
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
        Conv2dSpec mapSpec = Conv2dSpec.of(spec.name() + ".convmap", (int) n2d, (int) n2d, k, 1, k / 2,
                (int) mapGroups, false);
        this.convmap = register_module("convmap", new Conv2d(mapSpec));
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
        long[] shape = Tensors.shape(basis);
        long n2d = shape[0] * shape[1];
        long pad = Tensors.shape(refocusing)[2] / 2;
        Tensor refocused = Ops.conv2d(basis.view(1, n2d, shape[2], shape[3]), refocusing, null, new long[]{1, 1},
                new long[]{pad, pad}, new long[]{1, 1}, mapGroups).view(shape);
        return identity ? refocused.add(basis) : refocused;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.conv2d(x, transformedWeight(), bias, spec.strides(), spec.paddings(), spec.dilations(),
                spec.groups());
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
