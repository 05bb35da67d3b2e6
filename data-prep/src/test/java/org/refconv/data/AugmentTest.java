package org.refconv.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.refconv.data.input.Augment;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.Normalization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The augmentation presets: cifar's padded random crop and flip, and each preset's evaluation transform. */
class AugmentTest {

    private static final int SIZE = 16;

    /** A SIZE x SIZE image of random colours, so that every shift and mirror of it is distinguishable. */
    private static BufferedImage noise() {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_3BYTE_BGR);
        new Random(5).nextBytes(((DataBufferByte) img.getRaster().getDataBuffer()).getData());
        return img;
    }

    /**
     * Each output is the resized image moved by (top, left) in [-4, 4] and mirrored or not, with black (pixel 0,
     * normalised) where the window leaves the image: found by trying every window against the plain resize. Over 400
     * seeds every offset occurs and about half are mirrored, as torchvision's RandomCrop(padding=4) + flip.
     */
    @Test
    void cifarIsAPaddedRandomWindowOfTheResizedImage() {
        BufferedImage img = noise();
        Normalization norm = Normalization.IMAGENET;
        float[] plain = new float[3 * SIZE * SIZE];
        Augment.CIFAR.eval(SIZE).apply(img, new SplittableRandom(0), norm, plain, 0);
        ImageTransform cifar = Augment.CIFAR.train(SIZE);
        Set<Integer> tops = new HashSet<>();
        Set<Integer> lefts = new HashSet<>();
        int flips = 0;
        int seeds = 400;
        for (int seed = 0; seed < seeds; seed++) {
            float[] out = new float[3 * SIZE * SIZE];
            cifar.apply(img, new SplittableRandom(seed), norm, out, 0);
            int[] found = window(plain, out, norm);
            assertTrue(found != null, "seed " + seed + ": no padded window of the image gives this output");
            tops.add(found[0]);
            lefts.add(found[1]);
            flips += found[2];
        }
        assertEquals(9, tops.size(), tops.toString());
        assertEquals(9, lefts.size(), lefts.toString());
        assertTrue(flips > 0.4 * seeds && flips < 0.6 * seeds, flips + " flips of " + seeds);
    }

    /** {top, left, flipped 0/1} of the window of {@code plain} that {@code out} is, or null. */
    private static int[] window(float[] plain, float[] out, Normalization norm) {
        int plane = SIZE * SIZE;
        for (int flip = 0; flip <= 1; flip++) {
            for (int top = -4; top <= 4; top++) {
                for (int left = -4; left <= 4; left++) {
                    boolean same = true;
                    for (int c = 0; c < 3 && same; c++) {
                        float black = -norm.mean()[c] / norm.std()[c];
                        for (int y = 0; y < SIZE && same; y++) {
                            for (int x = 0; x < SIZE && same; x++) {
                                int sy = y + top;
                                int sx = (flip == 1 ? SIZE - 1 - x : x) + left;
                                boolean inside = sy >= 0 && sy < SIZE && sx >= 0 && sx < SIZE;
                                float want = inside ? plain[c * plane + sy * SIZE + sx] : black;
                                same = want == out[c * plane + y * SIZE + x];
                            }
                        }
                    }
                    if (same) {
                        return new int[] {top, left, flip};
                    }
                }
            }
        }
        return null;
    }

    @Test
    void eachPresetHasItsEvaluationTransform() {
        assertEquals(ImageTransform.val(36, 32), Augment.IMAGENET.eval(32));
        assertEquals(ImageTransform.val(32, 32), Augment.CIFAR.eval(32));
        assertEquals(Augment.NONE.eval(32), Augment.NONE.train(32), "none: training sees the evaluation transform");
        assertEquals(ImageTransform.train(32), Augment.IMAGENET.train(32));
    }
}
