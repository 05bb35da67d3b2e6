package org.refconv.layers;

/**
 * The hyper-parameters of a 2-D convolution, as torch.nn.Conv2d takes them (square stride/padding/dilation).
 *
 * @param name the layer's state_dict prefix, used in error messages (e.g. "layer1.0.conv1")
 */
public record Conv2dSpec(
        String name,
        int inChannels,
        int outChannels,
        int kernelH,
        int kernelW,
        int stride,
        int padding,
        int dilation,
        int groups,
        boolean bias) {

    public Conv2dSpec {
        String where = "conv '" + name + "': ";
        if (inChannels < 1
                || outChannels < 1
                || kernelH < 1
                || kernelW < 1
                || stride < 1
                || dilation < 1
                || groups < 1
                || padding < 0) {
            throw new IllegalArgumentException(where + "sizes must be positive (in " + inChannels + ", out "
                    + outChannels + ", kernel " + kernelH + "x" + kernelW + ", stride " + stride + ", padding "
                    + padding
                    + ", dilation " + dilation + ", groups " + groups + ")");
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException(where + "groups " + groups + " must divide in (" + inChannels
                    + ") and out (" + outChannels + ") channels");
        }
    }

    /** A square conv: the common case. */
    public static Conv2dSpec of(
            String name, int in, int out, int kernel, int stride, int padding, int groups, boolean bias) {
        return new Conv2dSpec(name, in, out, kernel, kernel, stride, padding, 1, groups, bias);
    }

    public Conv2dSpec withBias(boolean on) {
        return new Conv2dSpec(name, inChannels, outChannels, kernelH, kernelW, stride, padding, dilation, groups, on);
    }

    public long[] weightShape() {
        return new long[] {outChannels, inChannels / groups, kernelH, kernelW};
    }

    public boolean isDepthwise() {
        return groups == inChannels && groups == outChannels && groups > 1;
    }

    public long[] strides() {
        return new long[] {stride, stride};
    }

    public long[] paddings() {
        return new long[] {padding, padding};
    }

    public long[] dilations() {
        return new long[] {dilation, dilation};
    }
}
