package org.refconv.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.BadImageException;
import org.refconv.data.image.CvJpeg;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.ImageNormalizer;
import org.refconv.data.image.JpegEncoder;
import org.refconv.data.image.JpegHeader;
import org.refconv.data.image.NormalizedImage;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.image.RgbImages;
import org.refconv.data.image.SourceFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageNormalizerTest {
    private static BufferedImage dog;
    private final ImageNormalizer normalizer = new ImageNormalizer(ResizeRule.NONE, 90);

    @BeforeAll
    static void loadPhoto() {
        dog = TestImages.photo("dog", 160);
    }

    /** The output must be what the issue promises: a baseline, 3-component JPEG of the stated size. */
    private static void assertBaselineRgb(NormalizedImage n) {
        JpegHeader h = JpegHeader.parse(n.jpeg());
        assertEquals(SourceFormat.JPEG_BASELINE_RGB, SourceFormat.sniff(n.jpeg()));
        assertEquals(3, h.components());
        assertEquals(n.width(), h.width());
        assertEquals(n.height(), h.height());
    }

    @Test
    void baselineRgbJpegPassesThroughUnchanged() throws Exception {
        byte[] jpeg = TestImages.jpeg(dog);
        NormalizedImage n = normalizer.normalize(jpeg);
        assertFalse(n.reencoded());
        assertArrayEquals(jpeg, n.jpeg());
        assertEquals(dog.getWidth(), n.width());
        assertEquals(dog.getHeight(), n.height());
    }

    @Test
    void cmykJpegIsConvertedWithTheRightColours() throws Exception {
        byte[] cmyk = TestImages.cmykJpeg();
        assertEquals(SourceFormat.JPEG_CMYK, SourceFormat.sniff(cmyk));
        NormalizedImage n = normalizer.normalize(cmyk);
        assertTrue(n.reencoded());
        assertBaselineRgb(n);
        BufferedImage reference = TestImages.cmykReference();
        BufferedImage ours = RgbImages.toRgb(new ImageDecoder().decode(n.jpeg(), SourceFormat.JPEG_BASELINE_RGB));
        double error = TestImages.meanAbsError(reference, ours);
        assertTrue(error < 8, "CMYK decoded with mean error " + error + "/255");
        // Why TwelveMonkeys: the JDK reader decodes the same file without complaint but with wrong colours.
        BufferedImage jdk =
                RgbImages.toRgb(new ImageDecoder(ImageDecoder.JpegReader.JDK).decode(cmyk, SourceFormat.JPEG_CMYK));
        assertTrue(TestImages.meanAbsError(reference, jdk) > 30, "the JDK reader unexpectedly got CMYK right");
    }

    @Test
    void greyJpegBecomesThreeEqualChannels() throws Exception {
        byte[] grey = TestImages.greyJpeg(dog);
        assertEquals(SourceFormat.JPEG_GREY, SourceFormat.sniff(grey));
        NormalizedImage n = normalizer.normalize(grey);
        assertBaselineRgb(n);
        Raster r = RgbImages.toRgb(new ImageDecoder().decode(n.jpeg(), SourceFormat.JPEG_BASELINE_RGB))
                .getRaster();
        int x = n.width() / 2;
        int y = n.height() / 2;
        assertTrue(Math.abs(r.getSample(x, y, 0) - r.getSample(x, y, 2)) <= 3, "grey pixel should stay grey");
    }

    @Test
    void pngNamedJpegAndProgressiveJpegAreReencoded() throws Exception {
        for (byte[] input : new byte[][] {TestImages.png(dog), TestImages.progressiveJpeg(dog)}) {
            NormalizedImage n = normalizer.normalize(input);
            assertTrue(n.reencoded());
            assertBaselineRgb(n);
            assertEquals(dog.getWidth(), n.width());
        }
        assertEquals(SourceFormat.PNG, normalizer.normalize(TestImages.png(dog)).source());
        assertEquals(
                SourceFormat.JPEG_PROGRESSIVE,
                normalizer.normalize(TestImages.progressiveJpeg(dog)).source());
    }

    @Test
    void truncatedAndNonImageFilesAreRejectedWithAReason() {
        BadImageException truncated = assertThrows(
                BadImageException.class, () -> normalizer.normalize(TestImages.truncated(TestImages.jpeg(dog))));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        BadImageException text =
                assertThrows(BadImageException.class, () -> normalizer.normalize(TestImages.notAnImage()));
        assertTrue(text.getMessage().contains("not an image"), text.getMessage());
        assertThrows(BadImageException.class, () -> normalizer.normalize(new byte[0]));
    }

    @Test
    void resizeRulesOnlyShrink() throws Exception {
        ImageNormalizer shorter = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 64), 90);
        NormalizedImage n = shorter.normalize(TestImages.jpeg(dog));
        assertEquals(64, Math.min(n.width(), n.height()));
        assertBaselineRgb(n);
        ImageNormalizer max = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.MAX_SIDE, 1000), 90);
        assertFalse(max.normalize(TestImages.jpeg(dog)).reencoded(), "a small image must not be enlarged");
    }

    /** The default engine is OpenCV; CMYK, PNG and anything OpenCV cannot judge go the ImageIO way. */
    private static ImageNormalizer engine(ImageNormalizer.Engine engine, ResizeRule rule, int quality) {
        return new ImageNormalizer(rule, quality, engine);
    }

    private static BufferedImage pixels(NormalizedImage n) throws BadImageException {
        return RgbImages.toRgb(new ImageDecoder().decode(n.jpeg(), SourceFormat.JPEG_BASELINE_RGB));
    }

    @Test
    void openCvAndImageIoEnginesGiveTheSameImages() throws Exception {
        // Tolerances in mean abs levels. Without resizing only the encoders differ (measured 0.00: same tables, same
        // integer DCT). A shrink by 1.9 is antialiased on the OpenCV route (CvResampler) but one plain bilinear draw
        // on the ImageIO route, which only halves from 2x on: measured 4.2-4.3.
        ResizeRule shrink = new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 64);
        for (Object[] c : new Object[][] {{ResizeRule.NONE, 0.5}, {shrink, 5.0}}) {
            ResizeRule rule = (ResizeRule) c[0];
            ImageNormalizer cv = engine(ImageNormalizer.Engine.OPENCV, rule, 90);
            ImageNormalizer io = engine(ImageNormalizer.Engine.IMAGEIO, rule, 90);
            for (byte[] input : new byte[][] {
                TestImages.jpeg(dog),
                TestImages.greyJpeg(dog),
                TestImages.progressiveJpeg(dog),
                TestImages.png(dog),
                TestImages.cmykJpeg()
            }) {
                NormalizedImage a = cv.normalize(input);
                NormalizedImage b = io.normalize(input);
                assertBaselineRgb(a);
                assertEquals(b.width(), a.width());
                assertEquals(b.height(), a.height());
                assertEquals(b.source(), a.source());
                double error = TestImages.meanAbsError(pixels(b), pixels(a));
                assertTrue(error < (double) c[1], a.source() + " " + rule + ": engines " + error + " levels apart");
            }
            BadImageException truncated = assertThrows(
                    BadImageException.class, () -> cv.normalize(TestImages.truncated(TestImages.jpeg(dog))));
            assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        }
    }

    @Test
    void openCvRouteIsTakenForPlainJpegsAndHonoursTheQuality() throws Exception {
        byte[] grey = TestImages.greyJpeg(dog);
        for (int quality : new int[] {50, 95}) {
            NormalizedImage n = engine(ImageNormalizer.Engine.OPENCV, ResizeRule.NONE, quality)
                    .normalize(grey);
            assertBaselineRgb(n);
            try (PointerScope scope = new PointerScope()) {
                assertArrayEquals(
                        CvJpeg.encode(CvJpeg.decode(grey, 1), quality), n.jpeg(), "not libjpeg-turbo's output");
            }
            // Same quantisation tables as the ImageIO encoder at that quality: the setting means the same on both.
            assertEquals(quantisationTables(new JpegEncoder(quality).encode(dog)), quantisationTables(n.jpeg()));
        }
    }

    @Test
    void openCvDecodesCmykCorrectlyButCmykStaysOnTheTwelveMonkeysRoute() throws Exception {
        // Checked against STACK.md's finding (TurboJPEG's Java bindings throw on CMYK): OpenCV 4.13 converts this
        // Adobe CMYK fixture right. CMYK still goes to TwelveMonkeys, which is built for YCCK and embedded ICC
        // profiles; OpenCV was checked on this one file only.
        try (PointerScope scope = new PointerScope()) {
            Mat m = CvJpeg.decode(TestImages.cmykJpeg(), 1);
            BufferedImage cv = new BufferedImage(m.cols(), m.rows(), BufferedImage.TYPE_3BYTE_BGR);
            m.data().get(((DataBufferByte) cv.getRaster().getDataBuffer()).getData());
            double error = TestImages.meanAbsError(TestImages.cmykReference(), cv);
            assertTrue(error < 8, "OpenCV decoded CMYK with mean error " + error);
        }
        ImageNormalizer imageIo = engine(ImageNormalizer.Engine.IMAGEIO, ResizeRule.NONE, 90);
        byte[] cmyk = TestImages.cmykJpeg();
        assertArrayEquals(
                imageIo.normalize(cmyk).jpeg(), normalizer.normalize(cmyk).jpeg(), "CMYK left TwelveMonkeys");
    }

    /** The 8-bit quantisation tables of a JPEG's DQT segments, in file order. */
    private static List<Integer> quantisationTables(byte[] jpeg) {
        List<Integer> values = new ArrayList<>();
        int i = 2;
        while (i + 4 <= jpeg.length && (jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) != 0xDA) {
            int length = ((jpeg[i + 2] & 0xFF) << 8) | (jpeg[i + 3] & 0xFF);
            if ((jpeg[i + 1] & 0xFF) == 0xDB) {
                for (int t = i + 4; t < i + 2 + length; t += 65) {
                    values.add(jpeg[t] & 0x0F); // table id (precision 0 = 8 bits, as baseline requires)
                    for (int k = 1; k <= 64; k++) {
                        values.add(jpeg[t + k] & 0xFF);
                    }
                }
            }
            i += 2 + length;
        }
        assertTrue(values.size() >= 65, "no quantisation table found");
        return values;
    }

    /** A PNG whose header claims {@code width x height} pixels (IHDR patched, its CRC recomputed). */
    static byte[] pngClaiming(byte[] png, int width, int height) {
        byte[] b = png.clone();
        java.nio.ByteBuffer.wrap(b, 16, 8).putInt(width).putInt(height);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 12, 17); // "IHDR" and its 13 data bytes
        java.nio.ByteBuffer.wrap(b, 29, 4).putInt((int) crc.getValue());
        return b;
    }

    /** A JPEG whose first frame header claims {@code width x height} pixels. */
    static byte[] jpegClaiming(byte[] jpeg, int width, int height) {
        byte[] b = jpeg.clone();
        for (int i = 2; i + 9 < b.length; i++) {
            if ((b[i] & 0xFF) == 0xFF && (b[i + 1] & 0xFF) == 0xC0) {
                java.nio.ByteBuffer.wrap(b, i + 5, 4).putShort((short) height).putShort((short) width);
                return b;
            }
        }
        throw new AssertionError("no SOF0");
    }

    @Test
    void imagesClaimingMorePixelsThanTheLimitAreRefusedBeforeDecoding() throws Exception {
        byte[] png = TestImages.png(dog);
        byte[] jpeg = TestImages.jpeg(dog);
        assertEquals(89_478_485L, ImageDecoder.MAX_PIXELS); // PIL's Image.MAX_IMAGE_PIXELS
        for (ImageNormalizer.Engine engine : ImageNormalizer.Engine.values()) {
            ImageNormalizer n = engine(engine, ResizeRule.NONE, 90);
            for (byte[] bomb : new byte[][] {pngClaiming(png, 60_000, 60_000), jpegClaiming(jpeg, 65_000, 65_000)}) {
                BadImageException e = assertThrows(BadImageException.class, () -> n.normalize(bomb));
                assertTrue(e.getMessage().contains("pixels: over the limit of 89478485"), e.getMessage());
            }
            // The limit is on the product: the photo passes at a limit of exactly its pixels, not one fewer.
            long pixels = (long) dog.getWidth() * dog.getHeight();
            ImageNormalizer exact = new ImageNormalizer(ResizeRule.NONE, 90, engine, pixels);
            assertEquals(dog.getWidth(), exact.normalize(png).width());
            assertEquals(dog.getWidth(), exact.normalize(jpeg).width());
            ImageNormalizer below = new ImageNormalizer(ResizeRule.NONE, 90, engine, pixels - 1);
            assertThrows(BadImageException.class, () -> below.normalize(png));
            assertThrows(BadImageException.class, () -> below.normalize(jpeg));
        }
    }
}
