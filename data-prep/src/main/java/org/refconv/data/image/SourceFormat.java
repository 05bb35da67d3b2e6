package org.refconv.data.image;

/**
 * What an input file really is, read from its first bytes (ImageNet has a PNG named .JPEG, CMYK and
 * greyscale JPEGs). The {@link #label()} is what the Parquet column {@code source_format} records.
 */
public enum SourceFormat {
    JPEG_BASELINE_RGB("jpeg"),
    JPEG_PROGRESSIVE("jpeg-progressive"),
    JPEG_GREY("jpeg-grey"),
    JPEG_CMYK("jpeg-cmyk"),
    JPEG_OTHER("jpeg-other"),
    PNG("png"),
    GIF("gif"),
    BMP("bmp"),
    TIFF("tiff"),
    WEBP("webp"),
    UNKNOWN("unknown");

    private final String label;

    SourceFormat(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public boolean isJpeg() {
        return name().startsWith("JPEG");
    }

    /** Sniffs the container from magic bytes, then the JPEG flavour from its frame header. */
    public static SourceFormat sniff(byte[] b) {
        if (startsWith(b, 0xFF, 0xD8, 0xFF)) {
            JpegHeader h = JpegHeader.parse(b);
            if (h == null) {
                return JPEG_OTHER;
            }
            if (h.components() == 1) {
                return JPEG_GREY;
            }
            if (h.components() == 4) {
                return JPEG_CMYK;
            }
            if (h.components() != 3) {
                return JPEG_OTHER;
            }
            if (h.progressive()) {
                return JPEG_PROGRESSIVE;
            }
            return h.baseline() ? JPEG_BASELINE_RGB : JPEG_OTHER;
        }
        if (startsWith(b, 0x89, 'P', 'N', 'G')) {
            return PNG;
        }
        if (startsWith(b, 'G', 'I', 'F', '8')) {
            return GIF;
        }
        if (startsWith(b, 'B', 'M')) {
            return BMP;
        }
        if (startsWith(b, 'I', 'I', 0x2A, 0) || startsWith(b, 'M', 'M', 0, 0x2A)) {
            return TIFF;
        }
        if (startsWith(b, 'R', 'I', 'F', 'F')
                && b.length >= 12
                && b[8] == 'W'
                && b[9] == 'E'
                && b[10] == 'B'
                && b[11] == 'P') {
            return WEBP;
        }
        return UNKNOWN;
    }

    private static boolean startsWith(byte[] b, int... magic) {
        if (b.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }
}
