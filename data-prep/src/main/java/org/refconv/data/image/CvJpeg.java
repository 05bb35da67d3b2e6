package org.refconv.data.image;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_OPTIMIZE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_PROGRESSIVE;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

/**
 * JPEG decoding and encoding with OpenCV's libjpeg-turbo (2-3x ImageIO's rate in DecoderBenchmark), including
 * libjpeg's DCT-domain downscaling by 2, 4 or 8. Every Mat and pointer made here belongs to the caller's
 * {@code PointerScope}: call these methods inside one and nothing outlives it.
 */
public final class CvJpeg {
    static {
        // Callers already run one per core (decode workers, Spark tasks): OpenCV's own thread pool would only
        // oversubscribe the cores.
        opencv_core.setNumThreads(1);
    }

    private CvJpeg() {}

    /**
     * Largest DCT scaling factor r (1, 2, 4 or 8) for which a {@code regionW x regionH} part of the source still
     * has at least {@code outW x outH} pixels after decoding at 1/r, so the resize that follows only shrinks and
     * the output loses nothing to the reduced decode.
     */
    public static int reduction(double regionW, double regionH, int outW, int outH) {
        for (int r = 8; r > 1; r /= 2) {
            if (regionW / r >= outW && regionH / r >= outH) {
                return r;
            }
        }
        return 1;
    }

    /** Size of a side after decoding at 1/r: libjpeg rounds up. */
    public static int reducedSize(int size, int r) {
        return (size + r - 1) / r;
    }

    /**
     * Decodes at 1/r scale into 3-channel BGR (greyscale replicated). EXIF orientation is ignored, as ImageIO and
     * PIL do, so both decoding paths see the same pixels. Returns an empty Mat when OpenCV cannot decode the bytes.
     */
    public static Mat decode(byte[] jpeg, int r) {
        int flags = switch (r) {
            case 1 -> IMREAD_COLOR;
            case 2 -> IMREAD_REDUCED_COLOR_2;
            case 4 -> IMREAD_REDUCED_COLOR_4;
            case 8 -> IMREAD_REDUCED_COLOR_8;
            default -> throw new IllegalArgumentException("reduction must be 1, 2, 4 or 8, got " + r);
        };
        Mat encoded = new Mat(1, jpeg.length, CV_8UC1, new BytePointer(jpeg));
        return imdecode(encoded, flags | IMREAD_IGNORE_ORIENTATION);
    }

    /** Encodes a BGR Mat as a baseline (sequential), 3-component JFIF JPEG; quality 1..100 as in libjpeg. */
    public static byte[] encode(Mat bgr, int quality) {
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("JPEG quality must be in 1..100, got " + quality);
        }
        BytePointer out = new BytePointer();
        IntPointer params =
                new IntPointer(IMWRITE_JPEG_QUALITY, quality, IMWRITE_JPEG_PROGRESSIVE, 0, IMWRITE_JPEG_OPTIMIZE, 0);
        if (!imencode(".jpg", bgr, out, params)) {
            throw new IllegalStateException("OpenCV could not encode a " + bgr.cols() + "x" + bgr.rows() + " image");
        }
        byte[] bytes = new byte[(int) out.limit()];
        out.get(bytes);
        return bytes;
    }
}
