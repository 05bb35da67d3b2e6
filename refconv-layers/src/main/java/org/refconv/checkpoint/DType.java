package org.refconv.checkpoint;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types a checkpoint tensor can have; the names are safetensors' dtype strings. */
public enum DType {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    F64(8, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype string in a safetensors header ("F32", "BF16", ...). */
    public String safetensorsName() {
        return name();
    }

    /** @throws IllegalArgumentException naming the supported dtypes when {@code name} is not one of them */
    public static DType fromSafetensors(String name) {
        for (DType type : values()) {
            if (type.safetensorsName().equals(name)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: " + supportedNames() + ")");
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
    }
}
