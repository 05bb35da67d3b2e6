package org.refconv.data.input;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

import org.refconv.data.image.BadImageException;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.RgbImages;
import org.refconv.data.image.SourceFormat;

/** ImageIO decode, then the transform's own Java resampling (torchvision's antialiased bilinear). */
final class ImageIoSampleDecoder implements SampleDecoder {
    private final ImageTransform transform;
    private final Normalization norm;
    private final ImageDecoder decoder;

    ImageIoSampleDecoder(ImageTransform transform, Normalization norm, ImageDecoder.JpegReader reader) {
        this.transform = transform;
        this.norm = norm;
        this.decoder = new ImageDecoder(reader);
    }

    @Override
    public void decodeInto(Sample sample, long imageSeed, float[] out, int offset) {
        BufferedImage image;
        try {
            image = decoder.decode(sample.jpeg(), SourceFormat.sniff(sample.jpeg()));
        } catch (BadImageException e) {
            throw new IllegalStateException(sample.key() + ": " + e.getMessage(), e);
        }
        transform.apply(RgbImages.toRgb(image), new SplittableRandom(imageSeed), norm, out, offset);
    }
}
