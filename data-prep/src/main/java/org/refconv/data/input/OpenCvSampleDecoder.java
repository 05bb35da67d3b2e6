package org.refconv.data.input;

import java.util.SplittableRandom;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.refconv.data.image.CvJpeg;
import org.refconv.data.image.CvResampler;
import org.refconv.data.image.ImageDecoder;
import org.refconv.data.image.JpegHeader;

/**
 * libjpeg-turbo decode and {@link CvResampler}. The source rectangle is placed in full-image coordinates first
 * (from the JPEG header, with the ImageIO path's random draws), then the image is decoded at 1/2, 1/4 or 1/8
 * when the rectangle still has at least the output's pixels at that scale, so the reduced decode costs no
 * output resolution. All native memory of an image lives in one PointerScope.
 */
final class OpenCvSampleDecoder implements SampleDecoder {
    private final ImageTransform transform;
    private final int size;
    private final float[][] lut = new float[3][256]; // normalised value of each 8-bit level, per RGB channel
    private final byte[] pixels;
    private final SampleDecoder fallback;

    OpenCvSampleDecoder(ImageTransform transform, Normalization norm) {
        this.transform = transform;
        this.size = transform.size();
        this.pixels = new byte[3 * size * size];
        for (int c = 0; c < 3; c++) {
            float scale = 1f / (255f * norm.std()[c]); // the Java resampler's formula, so flat images agree exactly
            float shift = norm.mean()[c] / norm.std()[c];
            for (int v = 0; v < 256; v++) {
                lut[c][v] = v * scale - shift;
            }
        }
        this.fallback = new ImageIoSampleDecoder(transform, norm, ImageDecoder.JpegReader.JDK);
    }

    @Override
    public void decodeInto(Sample sample, long imageSeed, float[] out, int offset) {
        JpegHeader header = JpegHeader.parse(sample.jpeg());
        // Shards hold prepare's baseline JPEGs; anything OpenCV cannot read goes the ImageIO way (same seed, same
        // crop), which decodes other formats or fails naming the key.
        if (header == null || !transformed(sample.jpeg(), header, imageSeed, out, offset)) {
            fallback.decodeInto(sample, imageSeed, out, offset);
        }
    }

    private boolean transformed(byte[] jpeg, JpegHeader header, long imageSeed, float[] out, int offset) {
        int width = header.width();
        int height = header.height();
        double x;
        double y;
        double w;
        double h;
        boolean flip;
        boolean insideOnly;
        if (transform instanceof ImageTransform.RandomResizedCropFlip t) {
            ImageTransform.Placement p = t.place(width, height, new SplittableRandom(imageSeed));
            int[] box = p.box();
            x = box[0];
            y = box[1];
            w = box[2];
            h = box[3];
            flip = p.flip();
            insideOnly = true; // torchvision crops, then resizes: the filter never reads outside the crop
        } else {
            double side = size * ((ImageTransform.ResizeCenterCrop) transform).sourcePerOutput(width, height);
            x = (width - side) / 2;
            y = (height - side) / 2;
            w = side;
            h = side;
            flip = false;
            insideOnly = false; // torchvision resizes the whole image, then crops
        }
        int r = CvJpeg.reduction(w, h, size, size);
        try (PointerScope scope = new PointerScope()) {
            Mat image = CvJpeg.decode(jpeg, r);
            if (image.cols() != CvJpeg.reducedSize(width, r) || image.rows() != CvJpeg.reducedSize(height, r)) {
                return false; // empty (undecodable) or not the image the header describes
            }
            write(CvResampler.resample(image, r, x, y, w, h, size, size, insideOnly), flip, out, offset);
            return true;
        }
    }

    /** A continuous {@code size x size} BGR Mat as normalised RGB planes, mirrored if asked, in one pass. */
    private void write(Mat bgr, boolean flip, float[] out, int offset) {
        bgr.data().get(pixels);
        float[] red = lut[0];
        float[] green = lut[1];
        float[] blue = lut[2];
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            int row = offset + y * size;
            for (int x = 0; x < size; x++) {
                int p = (y * size + x) * 3;
                int o = row + (flip ? size - 1 - x : x);
                out[o] = red[pixels[p + 2] & 0xFF];
                out[o + plane] = green[pixels[p + 1] & 0xFF];
                out[o + 2 * plane] = blue[pixels[p] & 0xFF];
            }
        }
    }
}
