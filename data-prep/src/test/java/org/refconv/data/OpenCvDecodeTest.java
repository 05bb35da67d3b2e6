package org.refconv.data;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.CvJpeg;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.Normalization;
import org.refconv.data.input.Sample;
import org.refconv.data.input.SampleDecoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The input pipeline's OpenCV path against its ImageIO + Java resampler path (torchvision's filter). Both draw
 * the crop and flip from the same seed; libjpeg-turbo and the JDK decode the test JPEGs to identical pixels, so
 * what differs is the antialiasing filter: a Gaussian of the triangle's variance (OpenCV) against the triangle
 * itself (Java). They agree within a level on smooth content and differ more on fine texture, hence two
 * tolerances in 8-bit levels (differences of normalised values times 255 * std): the mean over all cases, and
 * a looser bound for any single crop.
 */
class OpenCvDecodeTest {
    private static final Normalization NORM = Normalization.IMAGENET;
    private static final int SIZE = 224;
    private static final List<byte[]> PHOTOS = new ArrayList<>();
    private static final List<byte[]> LARGE = new ArrayList<>();

    @BeforeAll
    static void photos() {
        for (String name : List.of("dog", "eagle", "giraffe", "horses", "kite", "person", "scream")) {
            PHOTOS.add(TestImages.jpeg(TestImages.photo(name, 500)));
        }
        // Large enough that big crops are decoded at 1/2 and 1/4; odd sizes exercise libjpeg's rounding up.
        for (String name : List.of("dog", "horses")) {
            LARGE.add(TestImages.jpeg(TestImages.photo(name, 2001)));
        }
    }

    /** Mean absolute difference in 8-bit levels between two normalised CHW outputs (mirror: b read flipped). */
    private static double levels(float[] a, float[] b, boolean mirror) {
        int plane = SIZE * SIZE;
        double sum = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    int i = c * plane + y * SIZE + x;
                    int j = c * plane + y * SIZE + (mirror ? SIZE - 1 - x : x);
                    sum += Math.abs(a[i] - b[j]) * 255 * NORM.std()[c];
                }
            }
        }
        return sum / (3.0 * plane);
    }

    private static float[] run(SampleDecoder.Kind kind, ImageTransform t, byte[] jpeg, long seed) {
        float[] out = new float[3 * t.size() * t.size()];
        kind.create(t, NORM).decodeInto(new Sample("key-" + seed, 0, jpeg), seed, out, 0);
        return out;
    }

    private static void assertClose(
            ImageTransform t, List<byte[]> images, int seeds, double meanTolerance, double caseTolerance) {
        double sum = 0;
        int n = 0;
        for (byte[] jpeg : images) {
            for (long seed = 0; seed < seeds; seed++) {
                float[] java = run(SampleDecoder.Kind.IMAGEIO_JDK, t, jpeg, seed);
                float[] cv = run(SampleDecoder.Kind.OPENCV, t, jpeg, seed);
                double same = levels(cv, java, false);
                double mirrored = levels(cv, java, true);
                assertTrue(same < caseTolerance, "seed " + seed + ": mean abs difference " + same + " levels");
                // Same crop and same flip: the Java output read mirrored must be much further away.
                assertTrue(mirrored > 3 * same, "seed " + seed + ": " + same + " levels, mirrored " + mirrored);
                sum += same;
                n++;
            }
        }
        System.out.printf("%s: mean abs difference %.2f levels over %d crops%n", t, sum / n, n);
        assertTrue(sum / n < meanTolerance, "mean abs difference " + sum / n + " levels");
    }

    @Test
    void trainTransformMatchesTheImageIoPath() {
        // Measured: mean 0.86 levels, worst single crop 6.0 (the giraffe's fur, decoded at 1/2); 0.66 on LARGE.
        assertClose(ImageTransform.train(SIZE), PHOTOS, 12, 1.5, 8);
    }

    @Test
    void trainTransformWithReducedDecodeMatchesTheImageIoPath() {
        assertClose(ImageTransform.train(SIZE), LARGE, 12, 1.5, 8);
    }

    @Test
    void cifarTransformMatchesTheImageIoPath() {
        // The same window and flip on both paths (drawn from the image's seed after the resize); the padding is
        // exact, the difference is the whole-photo resize's (measured: mean 1.56 levels, above val's 0.94 at 256).
        assertClose(ImageTransform.cifar(SIZE), PHOTOS, 12, 2.0, 8);
    }

    @Test
    void valTransformMatchesTheImageIoPath() {
        List<byte[]> all = new ArrayList<>(PHOTOS);
        all.addAll(LARGE);
        assertClose(ImageTransform.val(256, SIZE), all, 1, 1.5, 8);
    }

    @Test
    void reducedDecodeNeverLeavesFewerPixelsThanTheOutput() {
        ImageTransform.RandomResizedCropFlip t = (ImageTransform.RandomResizedCropFlip) ImageTransform.train(SIZE);
        SplittableRandom random = new SplittableRandom(7);
        int reduced = 0;
        for (int i = 0; i < 20_000; i++) {
            int width = 50 + random.nextInt(5000);
            int height = 50 + random.nextInt(5000);
            int[] box = t.cropBox(width, height, random);
            double valSide = SIZE * (double) Math.min(width, height) / 256;
            for (double[] region : new double[][] {{box[2], box[3]}, {valSide, valSide}}) {
                int r = CvJpeg.reduction(region[0], region[1], SIZE, SIZE);
                if (r > 1) {
                    reduced++;
                    assertTrue(
                            region[0] / r >= SIZE && region[1] / r >= SIZE,
                            "r=" + r + " for " + region[0] + "x" + region[1]);
                }
                // And the largest such factor: halving once more would go below the output.
                assertTrue(r == 8 || region[0] / (2 * r) < SIZE || region[1] / (2 * r) < SIZE);
            }
        }
        assertTrue(reduced > 1000, "the property was hardly exercised: " + reduced);
    }

    @Test
    void reducedDecodeHasTheSizeLibjpegAnnounces() {
        for (byte[] jpeg : LARGE) {
            for (int r : new int[] {1, 2, 4, 8}) {
                try (PointerScope scope = new PointerScope()) {
                    Mat full = CvJpeg.decode(jpeg, 1);
                    Mat image = CvJpeg.decode(jpeg, r);
                    assertEquals(CvJpeg.reducedSize(full.cols(), r), image.cols());
                    assertEquals(CvJpeg.reducedSize(full.rows(), r), image.rows());
                }
            }
        }
    }

    @Test
    void flatImageGivesExactlyTheNormalisedColour() {
        BufferedImage flat = TestImages.flat(64, 48, new Color(200, 100, 50));
        byte[] jpeg = TestImages.jpeg(flat);
        for (ImageTransform t : List.of(ImageTransform.val(36, 32), ImageTransform.train(32))) {
            assertArrayEquals(
                    run(SampleDecoder.Kind.IMAGEIO_JDK, t, jpeg, 3),
                    run(SampleDecoder.Kind.OPENCV, t, jpeg, 3),
                    1e-6f,
                    t.toString());
        }
    }

    @Test
    void nonJpegFallsBackToImageIoAndUndecodableBytesNameTheKey() {
        byte[] png = TestImages.png(TestImages.photo("dog", 120));
        ImageTransform t = ImageTransform.train(64);
        assertArrayEquals(run(SampleDecoder.Kind.IMAGEIO_JDK, t, png, 5), run(SampleDecoder.Kind.OPENCV, t, png, 5));
        byte[] broken = TestImages.jpeg(TestImages.photo("dog", 120));
        java.util.Arrays.fill(broken, 30, broken.length, (byte) 0); // header start intact, no frame
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> run(SampleDecoder.Kind.OPENCV, t, broken, 9));
        assertTrue(e.getMessage().startsWith("key-9"), e.getMessage());
    }
}
