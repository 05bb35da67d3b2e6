package org.refconv.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import org.refconv.data.image.JpegEncoder;
import org.refconv.data.image.RgbImages;

/**
 * Image fixtures made at run time from the real photos of Debian's darknet package (downscaled so tests stay
 * fast), plus the committed CMYK JPEG made by fixtures/make_data_fixtures.py.
 */
public final class TestImages {
    public static final Path DARKNET = Path.of("/usr/share/darknet/data");

    private TestImages() {}

    /** A darknet photo (dog, eagle, giraffe, horses, kite, person, scream) scaled to the given width. */
    public static BufferedImage photo(String name, int width) {
        try {
            BufferedImage full =
                    RgbImages.toRgb(ImageIO.read(DARKNET.resolve(name + ".jpg").toFile()));
            int height = Math.max(1, full.getHeight() * width / full.getWidth());
            return RgbImages.resize(full, width, height);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] jpeg(BufferedImage rgb) {
        return new JpegEncoder(90).encode(rgb);
    }

    public static byte[] greyJpeg(BufferedImage rgb) {
        BufferedImage grey = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grey.createGraphics();
        g.drawImage(rgb, 0, 0, null);
        g.dispose();
        return write(grey, "jpeg", false);
    }

    public static byte[] progressiveJpeg(BufferedImage rgb) {
        return write(rgb, "jpeg", true);
    }

    public static byte[] png(BufferedImage rgb) {
        return write(rgb, "png", false);
    }

    public static byte[] truncated(byte[] jpeg) {
        return Arrays.copyOf(jpeg, jpeg.length * 6 / 10);
    }

    public static byte[] notAnImage() {
        return "this is a text file named like a JPEG\n".getBytes();
    }

    /** A CMYK JPEG with an Adobe marker, as in ImageNet (made by fixtures/make_data_fixtures.py). */
    public static byte[] cmykJpeg() {
        return resource("fixtures/eagle-128-cmyk.jpg");
    }

    /** The lossless RGB image the CMYK fixture was made from. */
    public static BufferedImage cmykReference() {
        try {
            return RgbImages.toRgb(
                    ImageIO.read(new java.io.ByteArrayInputStream(resource("fixtures/eagle-128-rgb.png"))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image of one colour. */
    public static BufferedImage flat(int width, int height, Color colour) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    /** A small synthetic JPEG: a flat colour that encodes {@code seed}, with a square of another. */
    public static byte[] synthetic(int seed, int width, int height) {
        BufferedImage img = flat(width, height, new Color((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256));
        Graphics2D g = img.createGraphics();
        g.setColor(new Color((seed * 11) % 256, 255 - (seed * 7) % 256, 128));
        g.fillRect(width / 4, height / 4, width / 2, height / 2);
        g.dispose();
        return jpeg(img);
    }

    public static void write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Mean absolute difference per channel value between two RGB images of the same size. */
    public static double meanAbsError(BufferedImage a, BufferedImage b) {
        int[] pa = a.getRGB(0, 0, a.getWidth(), a.getHeight(), null, 0, a.getWidth());
        int[] pb = b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth());
        long sum = 0;
        for (int i = 0; i < pa.length; i++) {
            for (int shift = 0; shift < 24; shift += 8) {
                sum += Math.abs(((pa[i] >> shift) & 0xFF) - ((pb[i] >> shift) & 0xFF));
            }
        }
        return sum / (3.0 * pa.length);
    }

    private static byte[] write(BufferedImage img, String format, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName(format).next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static byte[] resource(String name) {
        try (InputStream in = TestImages.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
