package org.refconv.data.image;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.ALGO_HINT_DEFAULT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_ISOLATED;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT;
import static org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.WARP_INVERSE_MAP;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

/**
 * Antialiased resampling of a rectangle of an image decoded at 1/r ({@link CvJpeg#decode}), close to
 * torchvision's antialiased bilinear (the Java resampler's filter): a triangle spanning +-S source pixels for a
 * reduction by S, variance S^2/6 per axis. Bilinear sampling contributes about 1/6 (one output pixel), libjpeg's
 * 1/r decode about r^2/12 (an r-pixel block mean), and a Gaussian blur the rest. OpenCV's INTER_AREA (a box of
 * width S) was visibly sharper than torchvision's filter and slower (docs/benchmarks.md); INTER_LINEAR alone aliases when
 * shrinking. Sampling positions are exact (an affine map, not a rounded ROI): a half-pixel shift alone moved
 * textured crops by 15 levels. The Mats made here belong to the caller's PointerScope.
 */
public final class CvResampler {
    private CvResampler() {}

    /**
     * The rectangle (x, y, w, h) of the full image, given decoded at 1/r, as {@code outW x outH} pixels.
     *
     * @param insideOnly true if the filter must not read outside the rectangle (torchvision crops, then resizes)
     */
    public static Mat resample(
            Mat image, int r, double x, double y, double w, double h, int outW, int outH, boolean insideOnly) {
        double sx = w / outW;
        double sy = h / outH;
        double sigmaX = sigma(sx, r);
        double sigmaY = sigma(sy, r);
        // The source pixels the filter reads, in pixels of the 1/r image.
        int marginX = insideOnly ? 0 : kernel(sigmaX) / 2 + 1;
        int marginY = insideOnly ? 0 : kernel(sigmaY) / 2 + 1;
        int left = Math.max(0, (int) Math.floor(x / r) - marginX);
        int top = Math.max(0, (int) Math.floor(y / r) - marginY);
        int right = Math.min(image.cols(), (int) Math.ceil((x + w) / r) + marginX);
        int bottom = Math.min(image.rows(), (int) Math.ceil((y + h) / r) + marginY);
        Mat source = new Mat(image, new Rect(left, top, right - left, bottom - top));
        if (sigmaX > 0 || sigmaY > 0) {
            Mat blurred = new Mat();
            GaussianBlur(
                    source,
                    blurred,
                    new Size(kernel(sigmaX), kernel(sigmaY)),
                    Math.max(sigmaX, 1e-3),
                    Math.max(sigmaY, 1e-3),
                    BORDER_REFLECT | (insideOnly ? BORDER_ISOLATED : 0),
                    ALGO_HINT_DEFAULT);
            source = blurred;
        }
        Mat resampled = new Mat();
        if (insideOnly && left == x / r && right == (x + w) / r && top == y / r && bottom == (y + h) / r) {
            // The rectangle is exactly the source (e.g. a train crop decoded at full size): resize maps the same
            // centres as the affine map below and took 40% of warpAffine's time.
            resize(source, resampled, new Size(outW, outH), 0, 0, INTER_LINEAR);
            return resampled;
        }
        // Output pixel i's centre is at x + (i + 0.5) * sx in the full image; a 1/r pixel k's centre at (k + 0.5) * r.
        double ax = sx / r;
        double ay = sy / r;
        Mat map = new Mat(
                2,
                3,
                CV_64F,
                new DoublePointer(ax, 0, x / r + 0.5 * ax - 0.5 - left, 0, ay, y / r + 0.5 * ay - 0.5 - top));
        warpAffine(
                source,
                resampled,
                map,
                new Size(outW, outH),
                INTER_LINEAR | WARP_INVERSE_MAP,
                BORDER_REPLICATE,
                new Scalar());
        return resampled;
    }

    /** Standard deviation, in pixels of the 1/r image, still missing for a reduction by {@code s}; 0 if none. */
    private static double sigma(double s, int r) {
        double variance = (s * s - 1) / (6.0 * r * r) - (r > 1 ? 1 / 12.0 : 0);
        return variance > 0.01 ? Math.sqrt(variance) : 0;
    }

    private static int kernel(double sigma) {
        return sigma == 0 ? 1 : 2 * (int) Math.ceil(3 * sigma) + 1;
    }
}
