package org.refconv.data.input;

/**
 * Resamples a rectangle of an 8-bit BGR image into a normalised float CHW (RGB) tensor with a separable
 * triangle filter whose support grows with the reduction factor, i.e. antialiased bilinear as PIL and
 * torchvision (antialias=True) do; one horizontal pass, one vertical pass, weights computed once per call.
 */
final class Resampler {
    private Resampler() {}

    /**
     * @param bgr pixels of a TYPE_3BYTE_BGR image {@code width} wide
     * @param x0 left edge of the source rectangle (may be fractional), {@code w} its width; same for y
     * @param minX,maxX,minY,maxY the source pixels the filter may read (the crop box, or the whole image)
     * @param out receives 3*size*size floats at {@code offset}, channel-major (R, G, B)
     */
    static void resample(
            byte[] bgr,
            int width,
            double x0,
            double y0,
            double w,
            double h,
            int minX,
            int maxX,
            int minY,
            int maxY,
            int outW,
            int outH,
            boolean flip,
            Normalization norm,
            float[] out,
            int offset) {
        Taps xt = taps(x0, w, outW, minX, maxX);
        Taps yt = taps(y0, h, outH, minY, maxY);
        // Horizontal pass over the rows the vertical pass needs: rows minRow..maxRow, 3 channels interleaved.
        int firstRow = yt.first[0];
        int lastRow = firstRow;
        for (int i = 0; i < outH; i++) {
            lastRow = Math.max(lastRow, yt.first[i] + yt.count[i] - 1);
            firstRow = Math.min(firstRow, yt.first[i]);
        }
        int rows = lastRow - firstRow + 1;
        float[] tmp = new float[rows * outW * 3];
        for (int r = 0; r < rows; r++) {
            int rowBase = (firstRow + r) * width * 3;
            for (int ox = 0; ox < outW; ox++) {
                float b = 0;
                float g = 0;
                float red = 0;
                int k0 = xt.first[ox];
                int wBase = ox * xt.stride;
                for (int k = 0; k < xt.count[ox]; k++) {
                    float wt = xt.weights[wBase + k];
                    int p = rowBase + (k0 + k) * 3;
                    b += wt * (bgr[p] & 0xFF);
                    g += wt * (bgr[p + 1] & 0xFF);
                    red += wt * (bgr[p + 2] & 0xFF);
                }
                int t = (r * outW + ox) * 3;
                tmp[t] = red;
                tmp[t + 1] = g;
                tmp[t + 2] = b;
            }
        }
        int plane = outW * outH;
        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * norm.std()[c]);
            shift[c] = norm.mean()[c] / norm.std()[c];
        }
        for (int oy = 0; oy < outH; oy++) {
            int k0 = yt.first[oy] - firstRow;
            int wBase = oy * yt.stride;
            for (int ox = 0; ox < outW; ox++) {
                float red = 0;
                float g = 0;
                float b = 0;
                for (int k = 0; k < yt.count[oy]; k++) {
                    float wt = yt.weights[wBase + k];
                    int t = ((k0 + k) * outW + ox) * 3;
                    red += wt * tmp[t];
                    g += wt * tmp[t + 1];
                    b += wt * tmp[t + 2];
                }
                int dx = flip ? outW - 1 - ox : ox;
                int o = offset + oy * outW + dx;
                out[o] = red * scale[0] - shift[0];
                out[o + plane] = g * scale[1] - shift[1];
                out[o + 2 * plane] = b * scale[2] - shift[2];
            }
        }
    }

    /** Filter taps along one axis: for output i, weights of source pixels first[i] .. first[i]+count[i]-1. */
    private record Taps(int[] first, int[] count, float[] weights, int stride) {}

    private static Taps taps(double start, double length, int outSize, int min, int max) {
        double scale = length / outSize;
        double support = Math.max(scale, 1.0); // triangle filter of radius 1 output pixel, in source pixels
        int stride = (int) Math.ceil(support) * 2 + 2;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        float[] weights = new float[outSize * stride];
        for (int i = 0; i < outSize; i++) {
            double center = start + (i + 0.5) * scale;
            int lo = Math.max(min, (int) Math.floor(center - support));
            int hi = Math.min(max - 1, (int) Math.ceil(center + support));
            hi = Math.min(hi, lo + stride - 1);
            double sum = 0;
            for (int k = lo; k <= hi; k++) {
                sum += Math.max(0, 1 - Math.abs((k + 0.5 - center) / support));
            }
            if (sum <= 0) { // rectangle narrower than a pixel at the border: take the nearest pixel
                lo = hi = Math.min(max - 1, Math.max(min, (int) Math.floor(center)));
                sum = 1;
                weights[i * stride] = 1;
            } else {
                for (int k = lo; k <= hi; k++) {
                    weights[i * stride + k - lo] =
                            (float) (Math.max(0, 1 - Math.abs((k + 0.5 - center) / support)) / sum);
                }
            }
            first[i] = lo;
            count[i] = hi - lo + 1;
        }
        return new Taps(first, count, weights, stride);
    }
}
