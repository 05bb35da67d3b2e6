package org.refconv.demo;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from its IDX files (Debian's dataset-fashion-mnist), as normalised 1 x 32 x 32 images
 * (the 28 px images are zero-padded by 2, as small-image CNNs expect 32 px).
 */
public record FashionMnist(float[] images, long[] labels, int count) {

    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIZE = 32;
    public static final String[] CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot"};
    private static final float MEAN = 0.2860f;
    private static final float STD = 0.3530f;

    /** Loads {@code train} or {@code t10k}, at most {@code limit} images (all if limit <= 0). */
    public static FashionMnist load(Path dir, String split, int limit) throws IOException {
        Path images = dir.resolve(split + "-images-idx3-ubyte.gz");
        Path labels = dir.resolve(split + "-labels-idx1-ubyte.gz");
        for (Path p : new Path[]{images, labels}) {
            if (!Files.isReadable(p)) {
                throw new IOException(p + " not found: install Fashion-MNIST with 'apt-get install dataset-fashion-mnist'");
            }
        }
        try (DataInputStream img = open(images, 2051); DataInputStream lab = open(labels, 2049)) {
            int n = img.readInt();
            int rows = img.readInt();
            int cols = img.readInt();
            int nLabels = lab.readInt();
            if (n != nLabels || rows != 28 || cols != 28) {
                throw new IOException(images + ": expected 28x28 images and as many labels, got " + n + " images of "
                        + rows + "x" + cols + " and " + nLabels + " labels");
            }
            int count = limit > 0 ? Math.min(limit, n) : n;
            float[] out = new float[count * SIZE * SIZE];
            long[] y = new long[count];
            byte[] pixels = new byte[28 * 28];
            float background = -MEAN / STD;
            java.util.Arrays.fill(out, background);
            for (int i = 0; i < count; i++) {
                img.readFully(pixels);
                y[i] = lab.readUnsignedByte();
                int base = i * SIZE * SIZE;
                for (int r = 0; r < 28; r++) {
                    for (int c = 0; c < 28; c++) {
                        float v = (pixels[r * 28 + c] & 0xff) / 255f;
                        out[base + (r + 2) * SIZE + c + 2] = (v - MEAN) / STD;
                    }
                }
            }
            return new FashionMnist(out, y, count);
        }
    }

    private static DataInputStream open(Path p, int magic) throws IOException {
        InputStream in = new GZIPInputStream(Files.newInputStream(p), 1 << 16);
        DataInputStream data = new DataInputStream(in);
        int m = data.readInt();
        if (m != magic) {
            data.close();
            throw new IOException(p + ": not an IDX file of the expected kind (magic " + m + ", expected " + magic + ")");
        }
        return data;
    }
}
