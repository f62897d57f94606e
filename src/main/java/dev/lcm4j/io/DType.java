package dev.lcm4j.io;

import java.util.Optional;

/**
 * Element types a PyTorch checkpoint can hold, with the names torch uses for them in pickles: the legacy typed
 * storage class ({@code torch.FloatStorage}) that {@code torch.save} still writes in persistent ids, and the dtype
 * attribute name ({@code torch.float32}) that appears when a dtype object itself is pickled.
 */
public enum DType {
    FLOAT32(4, "FloatStorage", "float32", true),
    FLOAT64(8, "DoubleStorage", "float64", true),
    FLOAT16(2, "HalfStorage", "float16", true),
    BFLOAT16(2, "BFloat16Storage", "bfloat16", true),
    INT64(8, "LongStorage", "int64", false),
    INT32(4, "IntStorage", "int32", false),
    INT16(2, "ShortStorage", "int16", false),
    INT8(1, "CharStorage", "int8", false),
    UINT8(1, "ByteStorage", "uint8", false),
    BOOL(1, "BoolStorage", "bool", false);

    private final int byteSize;
    private final String storageClass;
    private final String torchName;
    private final boolean floatingPoint;

    DType(int byteSize, String storageClass, String torchName, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.storageClass = storageClass;
        this.torchName = torchName;
        this.floatingPoint = floatingPoint;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The legacy storage class name in module {@code torch}, e.g. {@code FloatStorage}. */
    public String storageClass() {
        return storageClass;
    }

    /** The dtype attribute name in module {@code torch}, e.g. {@code float32}. */
    public String torchName() {
        return torchName;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype of a legacy storage class such as {@code FloatStorage}. */
    public static Optional<DType> ofStorageClass(String name) {
        for (DType d : values()) if (d.storageClass.equals(name)) return Optional.of(d);
        return Optional.empty();
    }

    /** The dtype named by a {@code torch.<name>} attribute, accepting the aliases torch defines. */
    public static Optional<DType> ofTorchName(String name) {
        switch (name) {
            case "float": return Optional.of(FLOAT32);
            case "double": return Optional.of(FLOAT64);
            case "half": return Optional.of(FLOAT16);
            case "long": return Optional.of(INT64);
            case "int": return Optional.of(INT32);
            case "short": return Optional.of(INT16);
            default:
                for (DType d : values()) if (d.torchName.equals(name)) return Optional.of(d);
                return Optional.empty();
        }
    }
}
