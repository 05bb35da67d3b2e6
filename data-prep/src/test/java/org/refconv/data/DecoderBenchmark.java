package org.refconv.data;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.ImageNormalizer;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.image.RgbImages;
import org.refconv.data.image.SourceFormat;
import org.refconv.data.pipeline.ImageTransform;
import org.refconv.data.pipeline.Normalization;

/**
 * Single-thread throughput of JPEG decoders on ~500x375 photos (darknet's, re-encoded at quality 90), alone
 * and followed by the training transform (RandomResizedCrop 224 + flip + normalise), plus the prepare job's
 * per-image cost. Rounds alternate between candidates and the median round is reported, because the machine
 * is shared. Run: mvn -B -Pbench -pl data-prep test -Dtest=DecoderBenchmark
 */
@Tag("bench")
class DecoderBenchmark {
  private static final int ROUNDS = 5;
  private static final long ROUND_NANOS = 1_500_000_000L;

  interface Work {
    void run(byte[] jpeg) throws Exception;
  }

  @Test
  void compareDecoders() throws Exception {
    opencv_core.setNumThreads(1);
    List<byte[]> images = new ArrayList<>();
    for (String name : List.of("dog", "eagle", "giraffe", "horses", "kite", "person", "scream")) {
      images.add(TestImages.jpeg(TestImages.photo(name, 500)));
    }
    ImageDecoder jdk = new ImageDecoder(ImageDecoder.JpegReader.JDK);
    ImageDecoder twelve = new ImageDecoder(ImageDecoder.JpegReader.TWELVEMONKEYS);
    ImageTransform train = ImageTransform.train(224);
    float[] out = new float[3 * 224 * 224];
    SplittableRandom random = new SplittableRandom(1);

    Map<String, Work> work = new LinkedHashMap<>();
    work.put("decode: JDK ImageIO", b -> jdk.decode(b, SourceFormat.JPEG_BASELINE_RGB));
    work.put("decode: TwelveMonkeys", b -> twelve.decode(b, SourceFormat.JPEG_BASELINE_RGB));
    work.put("decode: OpenCV", b -> openCv(b, IMREAD_COLOR, 0));
    work.put("decode+resize224: JDK ImageIO + Graphics2D", b -> RgbImages.resize(
        RgbImages.toRgb(jdk.decode(b, SourceFormat.JPEG_BASELINE_RGB)), 224, 224));
    work.put("decode+resize224: OpenCV INTER_AREA", b -> openCv(b, IMREAD_COLOR, 224));
    work.put("decode+resize224: OpenCV reduced_2 (DCT scaling)", b -> openCv(b, IMREAD_REDUCED_COLOR_2, 224));
    work.put("train transform: TwelveMonkeys + RRC/flip/normalise", b -> train.apply(
        RgbImages.toRgb(twelve.decode(b, SourceFormat.JPEG_BASELINE_RGB)), random, Normalization.IMAGENET, out, 0));
    work.put("train transform: JDK + RRC/flip/normalise", b -> train.apply(
        RgbImages.toRgb(jdk.decode(b, SourceFormat.JPEG_BASELINE_RGB)), random, Normalization.IMAGENET, out, 0));
    work.put("train transform: OpenCV decode + RRC/flip/normalise", b -> train.apply(
        openCvImage(b), random, Normalization.IMAGENET, out, 0));
    BufferedImage decoded = RgbImages.toRgb(twelve.decode(images.get(0), SourceFormat.JPEG_BASELINE_RGB));
    work.put("transform only: RRC/flip/normalise 224", b -> train.apply(decoded, random, Normalization.IMAGENET,
        out, 0));
    work.put("transform only: resize 256 + center crop 224", b -> ImageTransform.val(256, 224).apply(decoded, random,
        Normalization.IMAGENET, out, 0));
    ImageNormalizer passThrough = new ImageNormalizer(ResizeRule.NONE, 90);
    ImageNormalizer shorter256 = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 256), 90);
    work.put("prepare: pass-through (decode check)", passThrough::normalize);
    work.put("prepare: re-encode (shorter side 256, q90)", shorter256::normalize);

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
    double base = median(rates.get("decode: JDK ImageIO"));
    System.out.printf("%nSingle thread, %d photos ~500x375 q90, median of %d rounds (img/s, ratio to JDK decode)%n",
        images.size(), ROUNDS);
    rates.forEach((k, v) -> System.out.printf("  %-58s %7.1f img/s  x%.2f  (rounds %s)%n", k, median(v),
        median(v) / base, Arrays.toString(Arrays.stream(v).map(Math::rint).toArray())));
    BufferedImage reference = TestImages.cmykReference();
    System.out.printf("CMYK fixture mean abs error /255: TwelveMonkeys %.1f, JDK %.1f, OpenCV %.1f%n",
        TestImages.meanAbsError(reference, RgbImages.toRgb(twelve.decode(TestImages.cmykJpeg(), SourceFormat.JPEG_CMYK))),
        TestImages.meanAbsError(reference, RgbImages.toRgb(jdk.decode(TestImages.cmykJpeg(), SourceFormat.JPEG_CMYK))),
        TestImages.meanAbsError(reference, openCvImage(TestImages.cmykJpeg())));
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
    return s[s.length / 2];
  }

  private static void openCv(byte[] jpeg, int flags, int size) {
    try (PointerScope scope = new PointerScope()) {
      Mat img = imdecode(new Mat(1, jpeg.length, CV_8UC1, new BytePointer(jpeg)), flags);
      if (size > 0) {
        resize(img, new Mat(), new Size(size, size), 0, 0, INTER_AREA);
      }
    }
  }

  /** OpenCV decode copied into a TYPE_3BYTE_BGR image (same byte order), as the pipeline would need. */
  private static BufferedImage openCvImage(byte[] jpeg) {
    try (PointerScope scope = new PointerScope()) {
      Mat img = imdecode(new Mat(1, jpeg.length, CV_8UC1, new BytePointer(jpeg)), IMREAD_COLOR);
      BufferedImage out = new BufferedImage(img.cols(), img.rows(), BufferedImage.TYPE_3BYTE_BGR);
      img.data().get(((DataBufferByte) out.getRaster().getDataBuffer()).getData());
      return out;
    }
  }
}
