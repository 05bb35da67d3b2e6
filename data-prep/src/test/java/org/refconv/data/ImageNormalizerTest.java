package org.refconv.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.data.image.BadImageException;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.ImageNormalizer;
import org.refconv.data.image.JpegHeader;
import org.refconv.data.image.NormalizedImage;
import org.refconv.data.image.ResizeRule;
import org.refconv.data.image.RgbImages;
import org.refconv.data.image.SourceFormat;

class ImageNormalizerTest {
  private static BufferedImage dog;
  private final ImageNormalizer normalizer = new ImageNormalizer(ResizeRule.NONE, 90);

  @BeforeAll
  static void loadPhoto() {
    dog = TestImages.photo("dog", 160);
  }

  /** The output must be what the issue promises: a baseline, 3-component JPEG of the stated size. */
  private static void assertBaselineRgb(NormalizedImage n) {
    JpegHeader h = JpegHeader.parse(n.jpeg());
    assertEquals(SourceFormat.JPEG_BASELINE_RGB, SourceFormat.sniff(n.jpeg()));
    assertEquals(3, h.components());
    assertEquals(n.width(), h.width());
    assertEquals(n.height(), h.height());
  }

  @Test
  void baselineRgbJpegPassesThroughUnchanged() throws Exception {
    byte[] jpeg = TestImages.jpeg(dog);
    NormalizedImage n = normalizer.normalize(jpeg);
    assertFalse(n.reencoded());
    assertArrayEquals(jpeg, n.jpeg());
    assertEquals(dog.getWidth(), n.width());
    assertEquals(dog.getHeight(), n.height());
  }

  @Test
  void cmykJpegIsConvertedWithTheRightColours() throws Exception {
    byte[] cmyk = TestImages.cmykJpeg();
    assertEquals(SourceFormat.JPEG_CMYK, SourceFormat.sniff(cmyk));
    NormalizedImage n = normalizer.normalize(cmyk);
    assertTrue(n.reencoded());
    assertBaselineRgb(n);
    BufferedImage reference = TestImages.cmykReference();
    BufferedImage ours = RgbImages.toRgb(new ImageDecoder().decode(n.jpeg(), SourceFormat.JPEG_BASELINE_RGB));
    double error = TestImages.meanAbsError(reference, ours);
    assertTrue(error < 8, "CMYK decoded with mean error " + error + "/255");
    // Why TwelveMonkeys: the JDK reader decodes the same file without complaint but with wrong colours.
    BufferedImage jdk = RgbImages.toRgb(new ImageDecoder(ImageDecoder.JpegReader.JDK).decode(cmyk,
        SourceFormat.JPEG_CMYK));
    assertTrue(TestImages.meanAbsError(reference, jdk) > 30, "the JDK reader unexpectedly got CMYK right");
  }

  @Test
  void greyJpegBecomesThreeEqualChannels() throws Exception {
    byte[] grey = TestImages.greyJpeg(dog);
    assertEquals(SourceFormat.JPEG_GREY, SourceFormat.sniff(grey));
    NormalizedImage n = normalizer.normalize(grey);
    assertBaselineRgb(n);
    Raster r = RgbImages.toRgb(new ImageDecoder().decode(n.jpeg(), SourceFormat.JPEG_BASELINE_RGB)).getRaster();
    int x = n.width() / 2;
    int y = n.height() / 2;
    assertTrue(Math.abs(r.getSample(x, y, 0) - r.getSample(x, y, 2)) <= 3, "grey pixel should stay grey");
  }

  @Test
  void pngNamedJpegAndProgressiveJpegAreReencoded() throws Exception {
    for (byte[] input : new byte[][] {TestImages.png(dog), TestImages.progressiveJpeg(dog)}) {
      NormalizedImage n = normalizer.normalize(input);
      assertTrue(n.reencoded());
      assertBaselineRgb(n);
      assertEquals(dog.getWidth(), n.width());
    }
    assertEquals(SourceFormat.PNG, normalizer.normalize(TestImages.png(dog)).source());
    assertEquals(SourceFormat.JPEG_PROGRESSIVE, normalizer.normalize(TestImages.progressiveJpeg(dog)).source());
  }

  @Test
  void truncatedAndNonImageFilesAreRejectedWithAReason() {
    BadImageException truncated = assertThrows(BadImageException.class,
        () -> normalizer.normalize(TestImages.truncated(TestImages.jpeg(dog))));
    assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
    BadImageException text = assertThrows(BadImageException.class,
        () -> normalizer.normalize(TestImages.notAnImage()));
    assertTrue(text.getMessage().contains("not an image"), text.getMessage());
    assertThrows(BadImageException.class, () -> normalizer.normalize(new byte[0]));
  }

  @Test
  void resizeRulesOnlyShrink() throws Exception {
    ImageNormalizer shorter = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.SHORTER_SIDE, 64), 90);
    NormalizedImage n = shorter.normalize(TestImages.jpeg(dog));
    assertEquals(64, Math.min(n.width(), n.height()));
    assertBaselineRgb(n);
    ImageNormalizer max = new ImageNormalizer(new ResizeRule(ResizeRule.Mode.MAX_SIDE, 1000), 90);
    assertFalse(max.normalize(TestImages.jpeg(dog)).reencoded(), "a small image must not be enlarged");
  }
}
