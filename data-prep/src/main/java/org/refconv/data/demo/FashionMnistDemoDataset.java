package org.refconv.data.demo;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.refconv.config.ConfigException;
import org.refconv.config.Settings;
import org.refconv.data.image.JpegEncoder;
import org.refconv.data.image.RgbImages;
import org.refconv.data.layout.KaggleLayout;

/**
 * Turns Debian's dataset-fashion-mnist (IDX, 28x28 grey, 10 classes) into a Kaggle-layout ImageNet tree of
 * 3-channel JPEGs, so the prepare job and the trainer run on real labelled images here. The 10 classes get
 * made-up wnid-like ids n90000000..n90000009 whose sorted order is Fashion-MNIST's label order.
 *
 * <pre>
 * FashionMnistDemoDataset --output DIR [--source /usr/share/datasets/fashion-mnist] [--size 32]
 *     [--perClass N (0 = all)] [--valPerClass N (default: perClass)] [--classes 5,6,7,8,9 (default: all)]
 *     [--quality 95] [--overwrite]
 * </pre>
 *
 * <p>{@code classes} keeps only those labels (a transfer experiment's source or target classes); a prepared tree
 * numbers its classes in wnid order, so labels 5-9 become classes 0-4 of the smaller dataset.
 */
public final class FashionMnistDemoDataset {
    public static final String DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist";
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Every Fashion-MNIST label, 0-9. */
    public static final List<Integer> ALL_CLASSES =
            IntStream.range(0, 10).boxed().toList();

    /**
     * Options of the command.
     *
     * @param valPerClass validation images per class (0 = all 1,000); the other constructors take perClass
     * @param classes the labels written, ascending (the others are left out)
     */
    public record Options(
            Path source,
            Path output,
            int size,
            int perClass,
            int valPerClass,
            int quality,
            boolean overwrite,
            List<Integer> classes) {
        public Options {
            classes = classes.stream().sorted().distinct().toList();
            if (classes.isEmpty() || classes.get(0) < 0 || classes.get(classes.size() - 1) >= CLASS_NAMES.size()) {
                throw new ConfigException("classes must be Fashion-MNIST labels 0-9, got " + classes);
            }
        }

        public Options(
                Path source, Path output, int size, int perClass, int valPerClass, int quality, boolean overwrite) {
            this(source, output, size, perClass, valPerClass, quality, overwrite, ALL_CLASSES);
        }

        public Options(Path source, Path output, int size, int perClass, int quality, boolean overwrite) {
            this(source, output, size, perClass, perClass, quality, overwrite);
        }
    }

    /** Counts of what was written. */
    public record Result(int train, int val) {}

    public static String wnid(int label) {
        return String.format("n9%07d", label);
    }

    public static void main(String[] args) throws IOException {
        Options options;
        try {
            options = parse(args);
        } catch (ConfigException e) {
            System.err.println("fashion-mnist demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        long start = System.nanoTime();
        Result r = write(options);
        System.out.printf(
                "fashion-mnist demo: wrote %,d train and %,d val images (%d px) to %s in %.1f s%n",
                r.train(), r.val(), options.size(), options.output(), (System.nanoTime() - start) / 1e9);
    }

    public static Options parse(String[] args) {
        Settings s = Settings.fromArgs(args);
        for (String key : s.asMap().keySet()) {
            if (!List.of("source", "output", "size", "perClass", "valPerClass", "classes", "quality", "overwrite")
                    .contains(key)) {
                throw new ConfigException(s.get(key).origin() + ": unknown option '" + key + "'");
            }
        }
        if (s.get("output") == null) {
            throw new ConfigException("missing --output DIR");
        }
        return new Options(
                Path.of(
                        s.get("source") == null
                                ? DEFAULT_SOURCE
                                : s.get("source").value()),
                Path.of(s.get("output").value()),
                intOption(s, "size", 32, 8, 4096),
                intOption(s, "perClass", 0, 0, Integer.MAX_VALUE),
                intOption(s, "valPerClass", intOption(s, "perClass", 0, 0, Integer.MAX_VALUE), 0, Integer.MAX_VALUE),
                intOption(s, "quality", 95, 1, 100),
                s.get("overwrite") != null
                        && Boolean.parseBoolean(s.get("overwrite").value()),
                s.get("classes") == null ? ALL_CLASSES : classes(s));
    }

    private static List<Integer> classes(Settings s) {
        try {
            return java.util.Arrays.stream(s.get("classes").value().split(","))
                    .map(String::trim)
                    .map(Integer::parseInt)
                    .toList();
        } catch (NumberFormatException e) {
            throw new ConfigException(s.get("classes").origin() + ": expected labels 0-9 separated by commas");
        }
    }

    private static int intOption(Settings s, String key, int fallback, int min, int max) {
        if (s.get(key) == null) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(s.get(key).value());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(s.get(key).origin() + ": expected an integer in " + min + ".." + max);
    }

    /** Writes the tree into a temporary sibling folder, then moves it to the output in one rename. */
    public static Result write(Options o) throws IOException {
        if (Files.exists(o.output())) {
            if (!o.overwrite()) {
                throw new IOException(o.output() + " exists; pass --overwrite to replace it");
            }
            deleteTree(o.output());
        }
        Path temp = o.output().resolveSibling(o.output().getFileName() + "._tmp");
        deleteTree(temp);
        Path data = temp.resolve(KaggleLayout.DATA_DIR);
        List<String> mapping = new ArrayList<>();
        for (int label : o.classes()) {
            mapping.add(wnid(label) + " " + CLASS_NAMES.get(label));
            Files.createDirectories(data.resolve("train").resolve(wnid(label)));
        }
        Files.createDirectories(data.resolve("val"));
        Files.write(temp.resolve(KaggleLayout.SYNSET_MAPPING), mapping, StandardCharsets.UTF_8);

        IdxFile trainLabels = IdxFile.read(o.source().resolve("train-labels-idx1-ubyte.gz"));
        IdxFile trainImages = IdxFile.read(o.source().resolve("train-images-idx3-ubyte.gz"));
        List<Integer> train = select(trainLabels, o.perClass(), o.classes());
        writeImages(o, trainImages, train, i -> {
            String w = wnid(trainLabels.data()[i]);
            return data.resolve("train").resolve(w).resolve(w + "_" + (i + 1) + ".JPEG");
        });

        IdxFile valLabels = IdxFile.read(o.source().resolve("t10k-labels-idx1-ubyte.gz"));
        IdxFile valImages = IdxFile.read(o.source().resolve("t10k-images-idx3-ubyte.gz"));
        List<Integer> val = select(valLabels, o.valPerClass(), o.classes());
        writeImages(o, valImages, val, i -> data.resolve("val").resolve(valId(i) + ".JPEG"));
        List<String> csv = new ArrayList<>(List.of("ImageId,PredictionString"));
        int last = o.size() - 1;
        for (int i : val) {
            csv.add(valId(i) + "," + wnid(valLabels.data()[i]) + " 0 0 " + last + " " + last);
        }
        Files.write(temp.resolve(KaggleLayout.VAL_SOLUTION), csv, StandardCharsets.UTF_8);
        Files.move(temp, o.output());
        return new Result(train.size(), val.size());
    }

    private static String valId(int index) {
        return String.format("FMNIST_val_%08d", index + 1);
    }

    /** Indices of the first {@code perClass} items of each label (all when 0), in file order. */
    static List<Integer> select(IdxFile labels, int perClass) {
        return select(labels, perClass, ALL_CLASSES);
    }

    /** As above, for the labels in {@code classes} only. */
    static List<Integer> select(IdxFile labels, int perClass, List<Integer> classes) {
        int[] taken = new int[256];
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.count(); i++) {
            int label = labels.data()[i] & 0xFF;
            if (classes.contains(label) && (perClass == 0 || taken[label] < perClass)) {
                taken[label]++;
                out.add(i);
            }
        }
        return out;
    }

    private static void writeImages(
            Options o, IdxFile images, List<Integer> indices, java.util.function.IntFunction<Path> pathOf) {
        int rows = images.dims()[1];
        int cols = images.dims()[2];
        JpegEncoder encoder = new JpegEncoder(o.quality());
        IntStream.range(0, indices.size()).parallel().forEach(n -> {
            int i = indices.get(n);
            BufferedImage grey = new BufferedImage(cols, rows, BufferedImage.TYPE_BYTE_GRAY);
            byte[] px = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
            System.arraycopy(images.data(), i * images.itemSize(), px, 0, px.length);
            BufferedImage rgb = RgbImages.resize(RgbImages.toRgb(grey), o.size(), o.size());
            try {
                Files.write(pathOf.apply(i), encoder.encode(rgb));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
