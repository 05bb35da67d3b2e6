package org.refconv.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.CvJpeg;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.ImageNormalizer;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.image.RgbImages;
import org.refconv.data.image.SourceFormat;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.Normalization;
import org.refconv.data.input.Sample;
import org.refconv.data.input.SampleDecoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Single-thread throughput on ~500x375 photos (darknet's, re-encoded at quality 90): JPEG decoders alone, the
 * input pipeline's decode + augment (Java path vs OpenCV path) for the train and val transforms, and the
 * prepare job's per-image work (ImageIO/TwelveMonkeys vs OpenCV), with the ratio to issue 4's targets. Rounds
 * alternate between candidates and the median round is reported, because the machine is shared.
 * Run: mvn -B -Pbench -pl data-prep test -Dtest=DecoderBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 */
@Tag("bench")
class DecoderBenchmark {
    private static final int ROUNDS = 5;
    private static final long ROUND_NANOS = 1_500_000_000L;
    private static final double DECODE_AUGMENT_TARGET = 500;
    private static final double REENCODE_TARGET = 300;

    interface Work {
        void run(byte[] jpeg) throws Exception;
    }

    private static List<byte[]> photos(int width) {
        List<byte[]> images = new ArrayList<>();
        for (String name : List.of("dog", "eagle", "giraffe", "horses", "kite", "person", "scream")) {
            images.add(TestImages.jpeg(TestImages.photo(name, width)));
        }
        return images;
    }

    private static Work pipeline(SampleDecoder.Kind kind, ImageTransform transform) {
        SampleDecoder decoder = kind.create(transform, Normalization.IMAGENET);
        float[] out = new float[3 * transform.size() * transform.size()];
        long[] seed = {0};
        return b -> decoder.decodeInto(new Sample("bench", 0, b), seed[0]++, out, 0);
    }

    @Test
    void compareDecoders() throws Exception {
        List<byte[]> images = photos(500);
        ImageDecoder jdk = new ImageDecoder(ImageDecoder.JpegReader.JDK);
        ImageDecoder twelve = new ImageDecoder(ImageDecoder.JpegReader.TWELVEMONKEYS);
        ResizeRule shorter256 = new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 256);

        Map<String, Work> work = new LinkedHashMap<>();
        work.put("decode: JDK ImageIO", b -> jdk.decode(b, SourceFormat.JPEG_BASELINE_RGB));
        work.put("decode: TwelveMonkeys", b -> twelve.decode(b, SourceFormat.JPEG_BASELINE_RGB));
        work.put("decode: OpenCV", b -> {
            try (PointerScope scope = new PointerScope()) {
                CvJpeg.decode(b, 1);
            }
        });
        work.put(
                "train 224 decode+augment: Java (JDK + resampler)",
                pipeline(SampleDecoder.Kind.IMAGEIO_JDK, ImageTransform.train(224)));
        work.put("train 224 decode+augment: OpenCV", pipeline(SampleDecoder.Kind.OPENCV, ImageTransform.train(224)));
        work.put(
                "val 256/224 decode+transform: Java (JDK + resampler)",
                pipeline(SampleDecoder.Kind.IMAGEIO_JDK, ImageTransform.val(256, 224)));
        work.put(
                "val 256/224 decode+transform: OpenCV",
                pipeline(SampleDecoder.Kind.OPENCV, ImageTransform.val(256, 224)));
        work.put(
                "prepare re-encode (shorter 256, q90): TwelveMonkeys",
                new ImageNormalizer(shorter256, 90, ImageNormalizer.Engine.IMAGEIO)::normalize);
        work.put(
                "prepare re-encode (shorter 256, q90): OpenCV",
                new ImageNormalizer(shorter256, 90, ImageNormalizer.Engine.OPENCV)::normalize);
        work.put(
                "prepare pass-through (decode check): TwelveMonkeys",
                new ImageNormalizer(ResizeRule.NONE, 90, ImageNormalizer.Engine.IMAGEIO)::normalize);
        work.put(
                "prepare pass-through (decode check): OpenCV",
                new ImageNormalizer(ResizeRule.NONE, 90, ImageNormalizer.Engine.OPENCV)::normalize);

        Map<String, double[]> rates = new LinkedHashMap<>();
        work.keySet().forEach(k -> rates.put(k, new double[ROUNDS]));
        for (Work w : work.values()) { // warm-up
            time(w, images, ROUND_NANOS / 2);
        }
        for (int round = 0; round < ROUNDS; round++) {
            for (Map.Entry<String, Work> e : work.entrySet()) {
                rates.get(e.getKey())[round] = time(e.getValue(), images, ROUND_NANOS);
            }
        }
        System.out.printf(
                "%nSingle thread, %d photos ~500x375 q90, median of %d alternated rounds (img/s/core)%n",
                images.size(), ROUNDS);
        rates.forEach((k, v) -> System.out.printf(
                "  %-58s %7.1f img/s%s  (rounds %s)%n",
                k,
                median(v),
                target(k, v),
                Arrays.toString(Arrays.stream(v).map(Math::rint).toArray())));
        BufferedImage reference = TestImages.cmykReference();
        System.out.printf(
                "CMYK fixture mean abs error /255: TwelveMonkeys %.1f, JDK %.1f, OpenCV %.1f%n",
                TestImages.meanAbsError(
                        reference, RgbImages.toRgb(twelve.decode(TestImages.cmykJpeg(), SourceFormat.JPEG_CMYK))),
                TestImages.meanAbsError(
                        reference, RgbImages.toRgb(jdk.decode(TestImages.cmykJpeg(), SourceFormat.JPEG_CMYK))),
                TestImages.meanAbsError(reference, openCvImage(TestImages.cmykJpeg())));
    }

    /**
     * Native memory stays flat over 100k images through the OpenCV pipeline path and prepare's OpenCV re-encode
     * (small images, so it takes about a minute): every Mat and pointer is released by its PointerScope. Resident
     * size is read every 20k images after malloc_trim; a leak grows linearly, the JVM heap and allocators level off.
     */
    @Test
    void noNativeLeakOver100kImages() throws Exception {
        List<byte[]> images = photos(160);
        Work train = pipeline(SampleDecoder.Kind.OPENCV, ImageTransform.train(64));
        Work reencode = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 64), 90)::normalize;
        long[] rss = new long[6];
        long start = System.nanoTime();
        for (int i = 0, checkpoint = 0; i <= 100_000; i++) {
            if (i % 20_000 == 0) {
                Pointer.trimMemory();
                rss[checkpoint++] = Pointer.physicalBytes() >> 20;
            }
            train.run(images.get(i % images.size()));
            reencode.run(images.get(i % images.size()));
        }
        System.out.printf(
                "%n100k images x (train decode + re-encode) in %.0f s: RSS every 20k images %s MB%n",
                (System.nanoTime() - start) / 1e9, Arrays.toString(rss));
        assertTrue(rss[5] - rss[2] < 16, "resident memory kept growing: " + Arrays.toString(rss) + " MB");
    }

    private static String target(String name, double[] rates) {
        double target = name.startsWith("train")
                ? DECODE_AUGMENT_TARGET
                : name.startsWith("prepare re-encode") ? REENCODE_TARGET : 0;
        return target == 0
                ? "               "
                : String.format("  %4.0f%% of %3.0f", 100 * median(rates) / target, target);
    }

    private static double time(Work w, List<byte[]> images, long nanos) throws Exception {
        long start = System.nanoTime();
        long n = 0;
        while (System.nanoTime() - start < nanos) {
            w.run(images.get((int) (n++ % images.size())));
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** OpenCV's own decode of a file as a TYPE_3BYTE_BGR image (same byte order). */
    private static BufferedImage openCvImage(byte[] jpeg) {
        try (PointerScope scope = new PointerScope()) {
            Mat img = CvJpeg.decode(jpeg, 1);
            BufferedImage out = new BufferedImage(img.cols(), img.rows(), BufferedImage.TYPE_3BYTE_BGR);
            img.data().get(((DataBufferByte) out.getRaster().getDataBuffer()).getData());
            return out;
        }
    }
}
