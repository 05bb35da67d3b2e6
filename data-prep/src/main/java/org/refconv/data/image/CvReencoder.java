package org.refconv.data.image;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * The OpenCV route of {@link ImageNormalizer} for plain JPEGs: 3-component (baseline or progressive) and
 * greyscale. CMYK/YCCK are not taken: OpenCV got the Adobe CMYK fixture right (ImageNormalizerTest), but
 * TwelveMonkeys is built for YCCK and embedded ICC profiles, and ImageNet has only 23 such files. Nor are files
 * that do not end with an EOI marker: libjpeg only warns about a truncated file and fills the rest with grey,
 * whereas the ImageIO route turns that warning into a quarantine reason.
 */
final class CvReencoder {
    private final ResizeRule resize;
    private final int quality;

    CvReencoder(ResizeRule resize, int quality) {
        this.resize = resize;
        this.quality = quality;
    }

    static boolean accepts(SourceFormat format, byte[] bytes) {
        boolean plain = format == SourceFormat.JPEG_BASELINE_RGB
                || format == SourceFormat.JPEG_PROGRESSIVE
                || format == SourceFormat.JPEG_GREY;
        int n = bytes.length;
        return plain && n > 4 && (bytes[n - 2] & 0xFF) == 0xFF && (bytes[n - 1] & 0xFF) == 0xD9;
    }

    /** The normalised image, or null when OpenCV cannot decode the bytes (the ImageIO route then decides). */
    NormalizedImage normalize(byte[] bytes, SourceFormat format) {
        JpegHeader header = JpegHeader.parse(bytes);
        int[] target = resize.targetSize(header.width(), header.height());
        try (PointerScope scope = new PointerScope()) {
            if (target == null && format == SourceFormat.JPEG_BASELINE_RGB) {
                // Kept byte for byte, so decoding is only the integrity check: at 1/8 scale libjpeg still
                // entropy-decodes
                // every block but skips most of the IDCT and colour work.
                Mat check = CvJpeg.decode(bytes, 8);
                return check.empty()
                        ? null
                        : new NormalizedImage(bytes, header.width(), header.height(), format, false);
            }
            int width = target == null ? header.width() : target[0];
            int height = target == null ? header.height() : target[1];
            int r = CvJpeg.reduction(header.width(), header.height(), width, height);
            Mat image = CvJpeg.decode(bytes, r);
            if (image.empty()) {
                return null;
            }
            if (target != null) { // only ever a reduction (ResizeRule never enlarges)
                image = CvResampler.resample(image, r, 0, 0, header.width(), header.height(), width, height, true);
            }
            return new NormalizedImage(CvJpeg.encode(image, quality), width, height, format, true);
        }
    }
}
