package org.refconv.data.input;

import org.refconv.data.image.ImageDecoder;

/**
 * Turns one sample's JPEG bytes into {@code 3 x size x size} normalised floats with the pipeline's transform.
 * One instance per worker thread (instances keep scratch buffers). The image's random numbers come from
 * {@code imageSeed} alone, so the two implementations crop and flip identically.
 */
public interface SampleDecoder {

    void decodeInto(Sample sample, long imageSeed, float[] out, int offset);

    /** The decoding paths, chosen with {@link InputPipeline.Builder#decoder}. */
    enum Kind {
        /** libjpeg-turbo decode (DCT-downscaled when the crop allows), OpenCV resize; the fastest. */
        OPENCV,
        /** JDK ImageIO decode, Java antialiased resampler (torchvision's filter). */
        IMAGEIO_JDK,
        /** As IMAGEIO_JDK with the TwelveMonkeys reader (slower; only matters for CMYK, which shards do not hold). */
        IMAGEIO_TWELVEMONKEYS;

        public SampleDecoder create(ImageTransform transform, Normalization norm) {
            if (transform instanceof ImageTransform.PadCropFlip t) {
                SampleDecoder base = create(t.base(), norm);
                float[] resized = new float[3 * t.size() * t.size()];
                return (sample, imageSeed, out, offset) -> {
                    base.decodeInto(sample, imageSeed, resized, 0);
                    t.shift(resized, new java.util.SplittableRandom(imageSeed), norm, out, offset);
                };
            }
            return switch (this) {
                case OPENCV -> new OpenCvSampleDecoder(transform, norm);
                case IMAGEIO_JDK -> new ImageIoSampleDecoder(transform, norm, ImageDecoder.JpegReader.JDK);
                case IMAGEIO_TWELVEMONKEYS ->
                    new ImageIoSampleDecoder(transform, norm, ImageDecoder.JpegReader.TWELVEMONKEYS);
            };
        }
    }
}
