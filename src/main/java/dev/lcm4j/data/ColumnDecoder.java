package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.VersionParser;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Decodes one top-level column of one row group straight from its leaf column's repetition and definition levels.
 * Working on levels rather than on the record-assembly API makes the 3-level LIST layout (Arrow, parquet-java), the
 * legacy 2-level layout and Arrow's fixed_size_list (stored as a LIST) all the same case, and avoids boxing floats.
 */
final class ColumnDecoder {
    /** Shapes the LCM schema uses; the number is the leaf's maximum repetition level. */
    enum Shape {
        SCALAR_STRING(0), STRING_LIST(1), VECTOR_LIST(2),
        /** Any other column a filter or quality range reads; the depth is the file's (see {@link #decodeAny}). */
        ANY(-1);
        final int maxRep;
        Shape(int maxRep) { this.maxRep = maxRep; }
    }

    private final Path file;
    private final String column;
    private final Shape shape;
    private final ColumnDescriptor leaf;
    private final int topDef;          // definition level at which the top-level field is non-null
    private final int[] repeatedDef;   // definition level at which the i-th repeated level has an element
    private final VersionParser.ParsedVersion writer;

    ColumnDecoder(Path file, MessageType schema, String column, Shape shape, String createdBy) {
        this.file = file;
        this.column = column;
        this.shape = shape;
        if (!schema.containsField(column)) {
            throw new LcmException(file + " has no column '" + column + "' (columns: "
                    + schema.getFields().stream().map(Type::getName).toList() + ")");
        }
        List<ColumnDescriptor> leaves = schema.getColumns().stream()
                .filter(c -> c.getPath()[0].equals(column)).toList();
        ColumnDescriptor found = leaves.size() == 1 ? leaves.get(0) : null;
        boolean ok = found != null && (shape == Shape.ANY ? found.getMaxRepetitionLevel() <= 2
                : found.getMaxRepetitionLevel() == shape.maxRep) && switch (shape) {
            case ANY -> true;
            case SCALAR_STRING, STRING_LIST -> found.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY;
            case VECTOR_LIST -> found.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FLOAT
                    || found.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.DOUBLE;
        };
        if (!ok) {
            throw new LcmException("column '" + column + "' of " + file + " is " + schema.getType(column)
                    .toString().replaceAll("\\s+", " ").trim() + "; expected " + switch (shape) {
                        case SCALAR_STRING -> "a string";
                        case STRING_LIST -> "list<string>";
                        case VECTOR_LIST -> "list<list<float>> or list<fixed_size_list<float>[D]>";
                        case ANY -> "a scalar, a list or a list of lists";
                    });
        }
        this.leaf = found;
        this.repeatedDef = new int[found.getMaxRepetitionLevel()];
        int def = 0;
        int rep = 0;
        int top = 0;
        Type t = schema;
        String[] path = found.getPath();
        for (int k = 0; k < path.length; k++) {
            t = ((GroupType) t).getType(path[k]);
            if (!t.isRepetition(Type.Repetition.REQUIRED)) def++;
            if (k == 0) top = def;
            if (t.isRepetition(Type.Repetition.REPEATED)) repeatedDef[rep++] = def;
        }
        this.topDef = top;
        VersionParser.ParsedVersion v = null;
        try {
            v = createdBy == null ? null : VersionParser.parse(createdBy);
        } catch (Exception ignored) {
            // unknown writer string: parquet then assumes a current writer, which is what we want
        }
        this.writer = v;
    }

    ColumnDescriptor leaf() {
        return leaf;
    }

    /** Returns one value per row: String, List&lt;String&gt; or float[][] (null for a null cell). */
    List<Object> decode(PageReadStore pages, long rows) {
        ColumnReader r = new ColumnReaderImpl(leaf, pages.getPageReader(leaf), new PrimitiveConverter() { }, writer);
        List<Object> out = new ArrayList<>((int) rows);
        switch (shape) {
            case SCALAR_STRING -> decodeScalar(r, out);
            case STRING_LIST -> decodeStrings(r, out);
            case VECTOR_LIST -> decodeVectors(r, out);
            case ANY -> decodeAny(r, out);
        }
        if (out.size() != rows) {
            throw new LcmException("column '" + column + "' of " + file + " has " + out.size()
                    + " values in a row group of " + rows + " rows: malformed file");
        }
        return out;
    }

    private void decodeScalar(ColumnReader r, List<Object> out) {
        int maxDef = leaf.getMaxDefinitionLevel();
        for (long i = 0, n = r.getTotalValueCount(); i < n; i++) {
            out.add(r.getCurrentDefinitionLevel() == maxDef ? r.getBinary().toStringUsingUTF8() : null);
            r.consume();
        }
    }

    /** The number of elements of a list-of-lists cell (what {@code list_value_length} needs of it). */
    record ListLength(int length) {
    }

    /**
     * A scalar becomes String, Long, Double or Boolean; a list of numbers double[] (a null element NaN); a list of
     * strings List&lt;String&gt;; a list of lists only its {@link ListLength}. Null cells are null.
     */
    private void decodeAny(ColumnReader r, List<Object> out) {
        int maxDef = leaf.getMaxDefinitionLevel();
        PrimitiveTypeName type = leaf.getPrimitiveType().getPrimitiveTypeName();
        int depth = leaf.getMaxRepetitionLevel();
        List<Object> row = null;
        int outer = 0;
        for (long i = 0, n = r.getTotalValueCount(); i < n; i++) {
            int rep = r.getCurrentRepetitionLevel();
            int def = r.getCurrentDefinitionLevel();
            if (depth == 0) {
                out.add(def == maxDef ? scalar(r, type) : null);
            } else if (depth == 1) {
                if (rep == 0) {
                    if (!out.isEmpty()) out.set(out.size() - 1, listValue(row, type));
                    row = def < topDef ? null : new ArrayList<>();
                    out.add(null);
                }
                if (def >= repeatedDef[0] && row != null) row.add(def == maxDef ? scalar(r, type) : null);
            } else {
                if (rep == 0) {
                    if (!out.isEmpty() && out.get(out.size() - 1) != null) out.set(out.size() - 1, new ListLength(outer));
                    outer = 0;
                    out.add(def < topDef ? null : Boolean.TRUE); // placeholder: non-null until the length is known
                }
                if (rep <= 1 && def >= repeatedDef[0]) outer++;
            }
            r.consume();
        }
        if (depth == 1 && !out.isEmpty()) out.set(out.size() - 1, listValue(row, type));
        if (depth == 2 && !out.isEmpty() && out.get(out.size() - 1) != null) out.set(out.size() - 1, new ListLength(outer));
    }

    private static Object scalar(ColumnReader r, PrimitiveTypeName type) {
        return switch (type) {
            case BINARY, FIXED_LEN_BYTE_ARRAY -> r.getBinary().toStringUsingUTF8();
            case INT32 -> (long) r.getInteger();
            case INT64 -> r.getLong();
            case FLOAT -> (double) r.getFloat();
            case DOUBLE -> r.getDouble();
            case BOOLEAN -> r.getBoolean();
            case INT96 -> throw new LcmException("INT96 timestamps cannot be read by lcm4j filters");
        };
    }

    private static Object listValue(List<Object> row, PrimitiveTypeName type) {
        if (row == null) return null;
        if (type == PrimitiveTypeName.BINARY || type == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
            List<String> s = new ArrayList<>(row.size());
            for (Object o : row) s.add((String) o);
            return s;
        }
        double[] d = new double[row.size()];
        for (int k = 0; k < d.length; k++) {
            Object o = row.get(k);
            d[k] = o == null ? Double.NaN : o instanceof Boolean b ? (b ? 1 : 0) : ((Number) o).doubleValue();
        }
        return d;
    }

    private void decodeStrings(ColumnReader r, List<Object> out) {
        int maxDef = leaf.getMaxDefinitionLevel();
        List<String> row = null;
        for (long i = 0, n = r.getTotalValueCount(); i < n; i++) {
            int rep = r.getCurrentRepetitionLevel();
            int def = r.getCurrentDefinitionLevel();
            if (rep == 0) {
                row = def < topDef ? null : new ArrayList<>();
                out.add(row);
            }
            if (def >= repeatedDef[0] && row != null) {
                row.add(def == maxDef ? r.getBinary().toStringUsingUTF8() : null);
            }
            r.consume();
        }
    }

    private void decodeVectors(ColumnReader r, List<Object> out) {
        int maxDef = leaf.getMaxDefinitionLevel();
        boolean isDouble = leaf.getPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.DOUBLE;
        List<float[]> row = null;
        float[] buf = new float[1024];
        int len = -1; // -1: no open vector
        for (long i = 0, n = r.getTotalValueCount(); i < n; i++) {
            int rep = r.getCurrentRepetitionLevel();
            int def = r.getCurrentDefinitionLevel();
            if (rep <= 1 && len >= 0) {
                row.add(Arrays.copyOf(buf, len));
                len = -1;
            }
            if (rep == 0) {
                if (row != null || !out.isEmpty()) out.set(out.size() - 1, toMatrix(row));
                row = def < topDef ? null : new ArrayList<>();
                out.add(null);
            }
            if (def >= repeatedDef[0] && row != null) {
                if (rep <= 1) len = 0;
                if (def >= repeatedDef[1]) {
                    if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                    // a null float inside a vector becomes NaN so the finite-value check reports the document
                    buf[len++] = def < maxDef ? Float.NaN : isDouble ? (float) r.getDouble() : r.getFloat();
                }
            }
            r.consume();
        }
        if (len >= 0) row.add(Arrays.copyOf(buf, len));
        if (!out.isEmpty()) out.set(out.size() - 1, toMatrix(row));
    }

    private static float[][] toMatrix(List<float[]> row) {
        return row == null ? null : row.toArray(new float[0][]);
    }
}
