package org.refconv.data.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/** Conversions to packed 8-bit RGB ({@code TYPE_3BYTE_BGR}) and the resize used when preparing. */
public final class RgbImages {
    private RgbImages() {}

    /**
     * Returns {@code image} as TYPE_3BYTE_BGR. Greyscale is replicated into the three channels rather than
     * colour-converted, because Java2D treats CS_GRAY as linear and would brighten it; alpha is dropped
     * (as PIL's convert("RGB") does).
     */
    public static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) out.getRaster().getDataBuffer()).getData();
        Raster raster = image.getRaster();
        if (raster.getNumBands() == 1 || image.getColorModel().getColorSpace().getNumComponents() == 1) {
            int bits = image.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = bits == 8 ? row[x] : (int) Math.round(row[x] * 255.0 / ((1 << bits) - 1));
                    int o = (y * w + x) * 3;
                    bgr[o] = bgr[o + 1] = bgr[o + 2] = (byte) v;
                }
            }
            return out;
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0, o = 0; i < argb.length; i++, o += 3) {
            int p = argb[i];
            bgr[o] = (byte) p;
            bgr[o + 1] = (byte) (p >> 8);
            bgr[o + 2] = (byte) (p >> 16);
        }
        return out;
    }

    /**
     * Bilinear resize of an RGB image. Large reductions go through successive halvings first, so that a
     * bilinear step never skips source pixels (which would alias).
     */
    public static BufferedImage resize(BufferedImage rgb, int width, int height) {
        BufferedImage current = rgb;
        while (current.getWidth() / 2 >= width && current.getHeight() / 2 >= height) {
            current = draw(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        return current.getWidth() == width && current.getHeight() == height ? current : draw(current, width, height);
    }

    private static BufferedImage draw(BufferedImage src, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
