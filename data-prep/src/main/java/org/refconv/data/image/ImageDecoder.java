package org.refconv.data.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image bytes with ImageIO. JPEGs go to a chosen reader: TwelveMonkeys by default, because the JDK's
 * reader returns CMYK/YCCK JPEGs with wrong colours (STACK.md: mean error 58.7/255); the JDK reader stays
 * selectable for the decoder measurement. A truncated file is an error here, not a grey bottom half: the JDK
 * decoder only warns about it ("Premature end of JPEG file").
 */
public final class ImageDecoder {

    /** Which ImageIO JPEG reader to use. */
    public enum JpegReader {
        TWELVEMONKEYS("com.twelvemonkeys."),
        JDK("com.sun.imageio.");

        private final String packagePrefix;

        JpegReader(String packagePrefix) {
            this.packagePrefix = packagePrefix;
        }
    }

    /**
     * Largest image decoded, in pixels: PIL's decompression-bomb threshold ({@code Image.MAX_IMAGE_PIXELS}), which
     * torchvision users already live with. A few hundred bytes of PNG or JPEG can claim 65535 x 65535 pixels (12 GiB
     * of RGB); the frame header is read and checked before any pixel buffer is allocated.
     */
    public static final long MAX_PIXELS = 89_478_485L;

    private final ImageReaderSpi jpegSpi;
    private final long maxPixels;

    public ImageDecoder() {
        this(JpegReader.TWELVEMONKEYS);
    }

    public ImageDecoder(JpegReader jpegReader) {
        this(jpegReader, MAX_PIXELS);
    }

    /** A decoder refusing images over {@code maxPixels} (tests use a small limit to check the refusal cheaply). */
    public ImageDecoder(JpegReader jpegReader, long maxPixels) {
        this.jpegSpi = findJpegSpi(jpegReader);
        this.maxPixels = maxPixels;
    }

    /** The refusal of a {@code width x height} image over {@code maxPixels}, or null when it is within. */
    static BadImageException tooLarge(long width, long height, long maxPixels, String format) {
        if (width * height <= maxPixels) {
            return null;
        }
        return new BadImageException(format + " of " + width + "x" + height + " pixels: over the limit of " + maxPixels
                + " (a decompression bomb, or not a training image)");
    }

    /** Decodes {@code bytes} whose format was sniffed as {@code format}. */
    public BufferedImage decode(byte[] bytes, SourceFormat format) throws BadImageException {
        if (format == SourceFormat.UNKNOWN) {
            throw new BadImageException("not an image (unrecognised leading bytes)");
        }
        ImageReader reader;
        try {
            reader = format.isJpeg() ? jpegSpi.createReaderInstance() : readerFor(format);
        } catch (IOException e) {
            throw new BadImageException("no reader for " + format.label(), e);
        }
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BadImageException tooLarge = tooLarge(reader.getWidth(0), reader.getHeight(0), maxPixels, format.label());
            if (tooLarge != null) {
                throw tooLarge;
            }
            BufferedImage image = reader.read(0);
            for (String w : warnings) {
                if (isTruncation(w)) {
                    throw new BadImageException("truncated " + format.label() + ": " + w);
                }
            }
            return image;
        } catch (BadImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadImageException("undecodable " + format.label() + ": " + e, e);
        } finally {
            reader.dispose();
        }
    }

    private static boolean isTruncation(String warning) {
        String w = warning.toLowerCase();
        return w.contains("premature end") || w.contains("truncat");
    }

    private static ImageReader readerFor(SourceFormat format) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.label());
        if (!readers.hasNext()) {
            throw new IOException("ImageIO has no reader for " + format.label());
        }
        return readers.next();
    }

    /**
     * Finds the reader's provider; rescans the class path once if needed, because in a Spark task the
     * application jar is visible to the task's context class loader only.
     */
    private static ImageReaderSpi findJpegSpi(JpegReader which) {
        ImageReaderSpi spi = lookup(which);
        if (spi == null) {
            ImageIO.scanForPlugins();
            spi = lookup(which);
        }
        if (spi == null) {
            throw new IllegalStateException("no " + which + " JPEG reader registered with ImageIO");
        }
        return spi;
    }

    private static ImageReaderSpi lookup(JpegReader which) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            if (r.getClass().getName().startsWith(which.packagePrefix)) {
                return r.getOriginatingProvider();
            }
        }
        return null;
    }
}
