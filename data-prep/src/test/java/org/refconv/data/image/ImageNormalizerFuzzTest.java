package org.refconv.data.image;

import java.lang.management.ManagementFactory;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes what the prepare job does to every input file: sniffing, the JPEG frame header, decoding (OpenCV's
 * libjpeg-turbo, ImageIO with TwelveMonkeys, the JDK's PNG/GIF/BMP/TIFF readers), colour conversion, resizing and
 * encoding. Only a {@link BadImageException} may escape (the job quarantines the file with its message; anything
 * else fails the whole shard), what is accepted must be a baseline RGB JPEG of the size reported, and allocation
 * stays within {@link #allocationBound}. Default run: replays {@code ImageNormalizerFuzzTestInputs/}; {@code -Pfuzz}
 * fuzzes (docs/security.md).
 */
class ImageNormalizerFuzzTest {
    /** A small pixel limit, so that the refusal of oversized claims is exercised without decoding 89 MP images. */
    static final long FUZZ_MAX_PIXELS = 1L << 20;
    /** Decoded image, RGB copy, ARGB row buffer of getRGB, resize steps and encoder output: well under 40 B/pixel. */
    static final long BYTES_PER_PIXEL = 40;
    /** ImageIO's and TwelveMonkeys' buffers, tables and stack traces. */
    static final long FIXED_ALLOCATION = 64L << 20;

    private static final ImageNormalizer OPENCV_AS_IS =
            new ImageNormalizer(ResizeRule.NONE, 90, ImageNormalizer.Engine.OPENCV, FUZZ_MAX_PIXELS);
    private static final ImageNormalizer IMAGEIO_SHRINK = new ImageNormalizer(
            new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 12), 90, ImageNormalizer.Engine.IMAGEIO, FUZZ_MAX_PIXELS);

    static long allocationBound(byte[] input) {
        return FIXED_ALLOCATION + 64L * input.length + BYTES_PER_PIXEL * FUZZ_MAX_PIXELS;
    }

    @FuzzTest(maxDuration = "2m")
    void normalize(byte[] input) throws Exception {
        check(OPENCV_AS_IS, input);
        check(IMAGEIO_SHRINK, input);
    }

    private static void check(ImageNormalizer normalizer, byte[] input) {
        long first = allocatedBy(normalizer, input);
        // Over the bound, a second run decides: loading (and instrumenting) classes for a new path happens once.
        if (first > allocationBound(input) && allocatedBy(normalizer, input) > allocationBound(input)) {
            throw new AssertionError("normalising a " + input.length + "-byte input allocated over "
                    + allocationBound(input) + " bytes (first run " + first + ")");
        }
    }

    private static long allocatedBy(ImageNormalizer normalizer, byte[] input) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            NormalizedImage image = normalizer.normalize(input);
            JpegHeader header = JpegHeader.parse(image.jpeg());
            if (SourceFormat.sniff(image.jpeg()) != SourceFormat.JPEG_BASELINE_RGB
                    || header.width() != image.width()
                    || header.height() != image.height()) {
                throw new AssertionError("accepted, but the output is not a baseline RGB JPEG of " + image.width() + "x"
                        + image.height() + ": " + header);
            }
        } catch (BadImageException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("a refusal without a reason", e);
            }
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
