package org.refconv.data.image;

import java.awt.image.BufferedImage;

/**
 * Turns any input file into a baseline RGB JPEG. Every file is decoded, so truncated or corrupt files are
 * caught here; a file that already is a baseline 3-channel JPEG within the resize rule is kept byte for byte
 * (no generation loss), everything else (CMYK, grey, progressive, PNG named .JPEG, ...) is re-encoded.
 * Plain JPEGs go through OpenCV (libjpeg-turbo, faster: docs/benchmarks.md) unless the ImageIO engine is asked for; the
 * rest, and whatever OpenCV cannot decode, through ImageIO with TwelveMonkeys.
 */
public final class ImageNormalizer {

    /** Who decodes and encodes the plain JPEGs (RGB baseline/progressive, grey). */
    public enum Engine {
        OPENCV,
        IMAGEIO
    }

    private final ImageDecoder decoder;
    private final long maxPixels;
    private final JpegEncoder encoder;
    private final ResizeRule resize;
    private final CvReencoder openCv;

    public ImageNormalizer(ResizeRule resize, int jpegQuality) {
        this(resize, jpegQuality, Engine.OPENCV);
    }

    public ImageNormalizer(ResizeRule resize, int jpegQuality, Engine engine) {
        this(resize, jpegQuality, engine, ImageDecoder.MAX_PIXELS);
    }

    /** Refuses images over {@code maxPixels} ({@link ImageDecoder#MAX_PIXELS} unless a test asks for less). */
    public ImageNormalizer(ResizeRule resize, int jpegQuality, Engine engine, long maxPixels) {
        this.decoder = new ImageDecoder(ImageDecoder.JpegReader.TWELVEMONKEYS, maxPixels);
        this.maxPixels = maxPixels;
        this.resize = resize;
        this.encoder = new JpegEncoder(jpegQuality);
        this.openCv = engine == Engine.OPENCV ? new CvReencoder(resize, jpegQuality) : null;
    }

    public NormalizedImage normalize(byte[] bytes) throws BadImageException {
        if (bytes.length == 0) {
            throw new BadImageException("empty file");
        }
        SourceFormat format = SourceFormat.sniff(bytes);
        if (openCv != null && CvReencoder.accepts(format, bytes)) {
            // The OpenCV route sizes its buffers from this frame header (libjpeg reads the same first SOF).
            JpegHeader header = JpegHeader.parse(bytes);
            BadImageException tooLarge =
                    ImageDecoder.tooLarge(header.width(), header.height(), maxPixels, format.label());
            if (tooLarge != null) {
                throw tooLarge;
            }
            NormalizedImage n = openCv.normalize(bytes, format);
            if (n != null) {
                return n;
            }
        }
        BufferedImage image = decoder.decode(bytes, format);
        if (image == null || image.getWidth() < 1 || image.getHeight() < 1) {
            throw new BadImageException("decoder returned no image for " + format.label());
        }
        int[] target = resize.targetSize(image.getWidth(), image.getHeight());
        if (target == null && format == SourceFormat.JPEG_BASELINE_RGB) {
            return new NormalizedImage(bytes, image.getWidth(), image.getHeight(), format, false);
        }
        BufferedImage rgb = RgbImages.toRgb(image);
        if (target != null) {
            rgb = RgbImages.resize(rgb, target[0], target[1]);
        }
        return new NormalizedImage(encoder.encode(rgb), rgb.getWidth(), rgb.getHeight(), format, true);
    }
}
