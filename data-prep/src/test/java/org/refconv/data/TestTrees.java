package org.refconv.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.refconv.data.layout.DevkitLayout;
import org.refconv.data.layout.KaggleLayout;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Struct;

/** Tiny ImageNet-style trees on the local disk, in each layout the prepare job reads. */
public final class TestTrees {
    /** Classes; written to the Kaggle mapping in this (unsorted) order, labels follow sorted order. */
    public static final List<String> WNIDS = List.of("n01000003", "n01000001", "n01000002");
    /** Sorted-wnid label of each class above. */
    public static final List<Integer> LABELS = List.of(2, 0, 1);

    private TestTrees() {}

    public static Path fresh(Path dir) {
        try {
            if (Files.exists(dir)) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Image bytes for the i-th image of class c: darknet photos and synthetic pictures, all valid. */
    static byte[] goodImage(int c, int i, List<BufferedImage> photos) {
        return i % 2 == 0
                ? TestImages.jpeg(photos.get((c + i) % photos.size()))
                : TestImages.synthetic(c * 100 + i, 48, 40);
    }

    static List<BufferedImage> photos() {
        List<BufferedImage> photos = new ArrayList<>();
        for (String name : List.of("dog", "eagle", "giraffe", "horses")) {
            photos.add(TestImages.photo(name, 96));
        }
        return photos;
    }

    /**
     * Kaggle layout with {@code perClass} good train images per class and {@code valPerClass} val images; with
     * {@code quirks}, class n01000001 also gets a CMYK, a grey, a PNG-named-.JPEG, a truncated and a text file.
     */
    public static Path kaggle(Path root, int perClass, int valPerClass, boolean quirks) {
        fresh(root);
        List<BufferedImage> photos = photos();
        Path data = root.resolve(KaggleLayout.DATA_DIR);
        List<String> csv = new ArrayList<>(List.of("ImageId,PredictionString"));
        int valIndex = 0;
        for (int c = 0; c < WNIDS.size(); c++) {
            String wnid = WNIDS.get(c);
            for (int i = 0; i < perClass; i++) {
                TestImages.write(
                        data.resolve("train/" + wnid + "/" + wnid + "_" + i + ".JPEG"), goodImage(c, i, photos));
            }
            for (int i = 0; i < valPerClass; i++) {
                String id = String.format("ILSVRC2012_val_%08d", ++valIndex);
                TestImages.write(data.resolve("val/" + id + ".JPEG"), goodImage(c, i + 1, photos));
                csv.add(id + "," + wnid + " 1 2 30 40 " + wnid + " 3 4 20 20");
            }
        }
        if (quirks) {
            Path dir = data.resolve("train/n01000001");
            BufferedImage kite = TestImages.photo("kite", 96);
            TestImages.write(dir.resolve("n01000001_cmyk.JPEG"), TestImages.cmykJpeg());
            TestImages.write(dir.resolve("n01000001_grey.JPEG"), TestImages.greyJpeg(kite));
            TestImages.write(dir.resolve("n01000001_png.JPEG"), TestImages.png(kite));
            TestImages.write(dir.resolve("n01000001_truncated.JPEG"), TestImages.truncated(TestImages.jpeg(kite)));
            TestImages.write(dir.resolve("n01000001_text.JPEG"), TestImages.notAnImage());
        }
        writeLines(
                root.resolve(KaggleLayout.SYNSET_MAPPING),
                WNIDS.stream().map(w -> w + " made-up class " + w).toList());
        writeLines(root.resolve(KaggleLayout.VAL_SOLUTION), csv);
        return root;
    }

    /**
     * Devkit layout. meta.mat lists the classes with ILSVRC2012_IDs 1, 2, 3 = n01000003, n01000001,
     * n01000002 (not sorted-wnid order) plus a non-leaf synset with ID 4, as the real one has 860 of them.
     */
    public static Path devkit(Path root, int perClass, int valPerClass) {
        fresh(root);
        List<BufferedImage> photos = photos();
        Struct synsets = Mat5.newStruct(WNIDS.size() + 1, 1);
        for (int i = 0; i <= WNIDS.size(); i++) {
            boolean leaf = i < WNIDS.size();
            synsets.set("ILSVRC2012_ID", i, Mat5.newScalar(i + 1));
            synsets.set("WNID", i, Mat5.newString(leaf ? WNIDS.get(i) : "n00001740"));
            synsets.set("words", i, Mat5.newString(leaf ? "made-up class" : "entity"));
            synsets.set("num_children", i, Mat5.newScalar(leaf ? 0 : 3));
        }
        try {
            Files.createDirectories(root.resolve(DevkitLayout.DEVKIT_DATA));
            Mat5.writeToFile(
                    Mat5.newMatFile().addArray("synsets", synsets),
                    root.resolve(DevkitLayout.META_MAT).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> truth = new ArrayList<>();
        for (int c = 0; c < WNIDS.size(); c++) {
            for (int i = 0; i < perClass; i++) {
                TestImages.write(
                        root.resolve("train/" + WNIDS.get(c) + "/" + WNIDS.get(c) + "_" + i + ".JPEG"),
                        goodImage(c, i, photos));
            }
            for (int i = 0; i < valPerClass; i++) {
                truth.add(String.valueOf(c + 1)); // the ILSVRC2012_ID of class c
                TestImages.write(
                        root.resolve(String.format("val/ILSVRC2012_val_%08d.JPEG", truth.size())),
                        goodImage(c, i, photos));
            }
        }
        writeLines(root.resolve(DevkitLayout.VAL_GROUND_TRUTH), truth);
        return root;
    }

    /** Generic folder layout: train/<class>/ and val/<class>/. */
    public static Path folder(Path root, int perClass) {
        fresh(root);
        for (String split : List.of("train", "val")) {
            for (int c = 0; c < WNIDS.size(); c++) {
                for (int i = 0; i < perClass; i++) {
                    TestImages.write(
                            root.resolve(split + "/" + WNIDS.get(c) + "/img" + i + ".jpg"),
                            TestImages.synthetic(c * 10 + i, 32, 32));
                }
            }
        }
        return root;
    }

    public static void writeLines(Path file, List<String> lines) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
