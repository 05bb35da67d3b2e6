package org.refconv.data.input;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.Serializable;
import java.util.SplittableRandom;

/** Turns a decoded image into a normalised {@code 3 x size x size} float tensor (CHW, RGB). */
public sealed interface ImageTransform extends Serializable
        permits ImageTransform.RandomResizedCropFlip, ImageTransform.ResizeCenterCrop, ImageTransform.PadCropFlip {

    int size();

    /** Writes 3*size*size floats into {@code out} at {@code offset}; {@code bgr} is TYPE_3BYTE_BGR. */
    void apply(BufferedImage bgr, SplittableRandom random, Normalization norm, float[] out, int offset);

    /** torchvision's RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3)) + RandomHorizontalFlip(). */
    static ImageTransform train(int size) {
        return new RandomResizedCropFlip(size, 0.08, 1.0, 3.0 / 4, 4.0 / 3, 0.5);
    }

    /**
     * The CIFAR recipe: the image at {@code size} (Resize + CenterCrop), then torchvision's RandomCrop(size,
     * padding=4) (zero padding) + RandomHorizontalFlip().
     */
    static ImageTransform cifar(int size) {
        return new PadCropFlip(new ResizeCenterCrop(size, size), 4, 0.5);
    }

    /** Resize(shorter side = resize) + CenterCrop(crop); ImageNet's 256 -> 224. */
    static ImageTransform val(int resize, int crop) {
        return new ResizeCenterCrop(resize, crop);
    }

    private static byte[] pixels(BufferedImage bgr) {
        if (bgr.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            throw new IllegalArgumentException("expected TYPE_3BYTE_BGR, got type " + bgr.getType());
        }
        return ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
    }

    /** Where a random crop lies in the full image ({x, y, w, h}) and whether it is mirrored. */
    record Placement(int[] box, boolean flip) {}

    /** Random crop of random area and aspect ratio, resized to {@code size}, flipped with probability p. */
    record RandomResizedCropFlip(
            int size, double scaleMin, double scaleMax, double ratioMin, double ratioMax, double flipProbability)
            implements ImageTransform {

        @Override
        public void apply(BufferedImage bgr, SplittableRandom random, Normalization norm, float[] out, int offset) {
            int width = bgr.getWidth();
            int height = bgr.getHeight();
            Placement p = place(width, height, random);
            int[] box = p.box();
            // The filter reads only inside the crop, as torchvision crops before it resizes.
            Resampler.resample(
                    pixels(bgr),
                    width,
                    box[0],
                    box[1],
                    box[2],
                    box[3],
                    box[0],
                    box[0] + box[2],
                    box[1],
                    box[1] + box[3],
                    size,
                    size,
                    p.flip(),
                    norm,
                    out,
                    offset);
        }

        /** The crop box and the flip, drawn in this order; every decoding path draws them here. */
        public Placement place(int width, int height, SplittableRandom random) {
            int[] box = cropBox(width, height, random);
            return new Placement(box, random.nextDouble() < flipProbability);
        }

        /** {x, y, w, h}, following torchvision's RandomResizedCrop.get_params (10 tries, then a central crop). */
        public int[] cropBox(int width, int height, SplittableRandom random) {
            double area = (double) width * height;
            double logMin = Math.log(ratioMin);
            double logMax = Math.log(ratioMax);
            for (int attempt = 0; attempt < 10; attempt++) {
                double target = area * (scaleMin + random.nextDouble() * (scaleMax - scaleMin));
                double aspect = Math.exp(logMin + random.nextDouble() * (logMax - logMin));
                int w = (int) Math.round(Math.sqrt(target * aspect));
                int h = (int) Math.round(Math.sqrt(target / aspect));
                if (w > 0 && w <= width && h > 0 && h <= height) {
                    int y = random.nextInt(height - h + 1);
                    int x = random.nextInt(width - w + 1);
                    return new int[] {x, y, w, h};
                }
            }
            double inRatio = (double) width / height;
            int w = width;
            int h = height;
            if (inRatio < ratioMin) {
                h = (int) Math.round(w / ratioMin);
            } else if (inRatio > ratioMax) {
                w = (int) Math.round(h * ratioMax);
            }
            return new int[] {(width - w) / 2, (height - h) / 2, w, h};
        }
    }

    /** Shorter side scaled to {@code resize}, then the central {@code size x size}; no randomness. */
    record ResizeCenterCrop(int resize, int size) implements ImageTransform {
        public ResizeCenterCrop {
            if (size > resize) {
                throw new IllegalArgumentException("crop " + size + " is larger than resize " + resize);
            }
        }

        @Override
        public void apply(BufferedImage bgr, SplittableRandom random, Normalization norm, float[] out, int offset) {
            int width = bgr.getWidth();
            int height = bgr.getHeight();
            double side = size * sourcePerOutput(width, height);
            double x0 = (width - side) / 2;
            double y0 = (height - side) / 2;
            Resampler.resample(
                    pixels(bgr), width, x0, y0, side, side, 0, width, 0, height, size, size, false, norm, out, offset);
        }

        /** Source pixels per output pixel: the shorter side becomes {@code resize}. */
        public double sourcePerOutput(int width, int height) {
            return (double) Math.min(width, height) / resize;
        }
    }

    /**
     * {@code base} (a deterministic resize), then a random {@code size x size} window of the result padded by
     * {@code padding} black pixels on each side, mirrored with probability p: torchvision's RandomCrop(size, padding)
     * + RandomHorizontalFlip() after the resize. The window is moved over the normalised output, so every decoding
     * path shares it ({@link SampleDecoder.Kind#create}).
     */
    record PadCropFlip(ResizeCenterCrop base, int padding, double flipProbability) implements ImageTransform {

        @Override
        public int size() {
            return base.size();
        }

        @Override
        public void apply(BufferedImage bgr, SplittableRandom random, Normalization norm, float[] out, int offset) {
            float[] resized = new float[3 * size() * size()];
            base.apply(bgr, random, norm, resized, 0);
            shift(resized, random, norm, out, offset);
        }

        /**
         * Writes the random window of {@code resized} (3 x size x size, normalised) into {@code out}; the padding
         * is pixel value 0, i.e. -mean / std after normalisation. Draws the window's top, its left, then the flip.
         */
        public void shift(float[] resized, SplittableRandom random, Normalization norm, float[] out, int offset) {
            int size = size();
            int top = random.nextInt(2 * padding + 1) - padding;
            int left = random.nextInt(2 * padding + 1) - padding;
            boolean flip = random.nextDouble() < flipProbability;
            int plane = size * size;
            for (int c = 0; c < 3; c++) {
                float black = -norm.mean()[c] / norm.std()[c];
                for (int y = 0; y < size; y++) {
                    int sy = y + top;
                    for (int x = 0; x < size; x++) {
                        int sx = (flip ? size - 1 - x : x) + left;
                        boolean inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
                        out[offset + c * plane + y * size + x] = inside ? resized[c * plane + sy * size + sx] : black;
                    }
                }
            }
        }
    }
}
