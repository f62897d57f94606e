package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import java.util.HashMap;
import java.util.Map;
import org.apache.parquet.column.ColumnDescriptor;

/**
 * Streams documents out of one LCM parquet file one row group at a time, so a dataset never has to fit in memory.
 * Only the configured columns are read. Every vector is checked on the way in: a wrong dimension or a NaN/Inf value
 * is a user-facing {@link LcmException} naming the file and the document, because such rows silently poison training.
 */
public final class LcmParquetReader implements AutoCloseable, Iterable<Document> {
    private final Path file;
    private final DataColumns columns;
    private final ParquetFileReader reader;
    private final List<BlockMetaData> rowGroups;
    private final ColumnDecoder id;
    private final ColumnDecoder sourceText;
    private final ColumnDecoder source;
    private final ColumnDecoder targetText;
    private final ColumnDecoder target;
    private final Map<String, ColumnDecoder> extras = new java.util.LinkedHashMap<>();
    private int dim;
    private final long[] firstRow;

    /** Documents of one row group and, per extra column, its values in row order (see {@link ColumnDecoder.Shape#ANY}). */
    record RowGroup(List<Document> documents, Map<String, List<Object>> extras) {
    }

    private LcmParquetReader(Path file, DataColumns columns, int expectedDim) {
        this(file, columns, expectedDim, List.of());
    }

    private LcmParquetReader(Path file, DataColumns columns, int expectedDim, List<String> extraColumns) {
        this.file = file;
        this.columns = columns;
        this.dim = expectedDim;
        if (!Files.isRegularFile(file)) throw new LcmException("parquet file " + file + " does not exist");
        try {
            if (Files.size(file) == 0) throw new LcmException("parquet file " + file + " is empty (0 bytes)");
            // pages written with checksums (lcm4j writes them) are verified as they are read
            reader = ParquetFileReader.open(new LocalInputFile(file), ParquetReadOptions.builder().usePageChecksumVerification(true).build());
        } catch (IOException | RuntimeException e) {
            if (e instanceof LcmException le) throw le;
            String m = String.valueOf(e.getMessage());
            if (m.contains("is not a Parquet file")) {
                // parquet-java names its input object (LocalInputFile@a137d7a), not the path
                throw new LcmException(file + " is not a parquet file (it does not end with the PAR1 magic); give LCM parquet data", e);
            }
            throw new LcmException("cannot read parquet file " + file + ": " + m, e);
        }
        try {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            id = decoder(schema, columns.id(), ColumnDecoder.Shape.SCALAR_STRING, createdBy);
            sourceText = decoder(schema, columns.sourceText(), ColumnDecoder.Shape.STRING_LIST, createdBy);
            source = decoder(schema, columns.source(), ColumnDecoder.Shape.VECTOR_LIST, createdBy);
            targetText = decoder(schema, columns.targetText(), ColumnDecoder.Shape.STRING_LIST, createdBy);
            target = decoder(schema, columns.target(), ColumnDecoder.Shape.VECTOR_LIST, createdBy);
            for (String c : extraColumns) extras.put(c, decoder(schema, c, ColumnDecoder.Shape.ANY, createdBy));
            List<ColumnDescriptor> wanted = new ArrayList<>();
            List<ColumnDecoder> all = new ArrayList<>(java.util.Arrays.asList(id, sourceText, source, targetText, target));
            all.addAll(extras.values());
            for (ColumnDecoder d : all) {
                if (d != null && !wanted.contains(d.leaf())) wanted.add(d.leaf());
            }
            reader.setRequestedSchema(wanted);
            rowGroups = reader.getRowGroups();
            firstRow = new long[rowGroups.size()];
            for (int i = 1; i < firstRow.length; i++) firstRow[i] = firstRow[i - 1] + rowGroups.get(i - 1).getRowCount();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Opens {@code file}. With {@code expectedDim > 0} every vector must have that many values; with 0 the first vector
     * read fixes the dimension for the rest of the file.
     */
    public static LcmParquetReader open(Path file, DataColumns columns, int expectedDim) {
        return new LcmParquetReader(file, columns, expectedDim);
    }

    /** Opens {@code file} to read also {@code extraColumns} (any scalar or list column), e.g. for row filters. */
    static LcmParquetReader open(Path file, DataColumns columns, int expectedDim, List<String> extraColumns) {
        return new LcmParquetReader(file, columns, expectedDim, extraColumns);
    }

    /** Reads a whole (small) file; for tests and tools, never for training data. */
    public static List<Document> readAll(Path file, DataColumns columns, int expectedDim) {
        List<Document> out = new ArrayList<>();
        try (LcmParquetReader r = open(file, columns, expectedDim)) {
            for (Document d : r) out.add(d);
        }
        return out;
    }

    public Path file() {
        return file;
    }

    public int rowGroupCount() {
        return rowGroups.size();
    }

    public long rowCount(int rowGroup) {
        return rowGroups.get(rowGroup).getRowCount();
    }

    public long rowCount() {
        return rowGroups.stream().mapToLong(BlockMetaData::getRowCount).sum();
    }

    /** Vector dimension seen so far (or the expected one); 0 before any vector was read with no expectation. */
    public int dim() {
        return dim;
    }

    /** Decodes row group {@code index} into documents (rows in file order). */
    public List<Document> readRowGroup(int index) {
        return readRowGroupWithExtras(index).documents();
    }

    /** Decodes row group {@code index} into documents and the values of the extra columns. */
    RowGroup readRowGroupWithExtras(int index) {
        long rows = rowCount(index);
        PageReadStore pages;
        try {
            pages = reader.readRowGroup(index);
        } catch (IOException | RuntimeException e) {
            if (String.valueOf(e.getMessage()).contains("CRC checksum")) {
                throw new LcmException("row group " + index + " of " + file + " is damaged: a page checksum does not match its"
                        + " data; write the file again (./lcm prepare, or restore it from a copy)", e);
            }
            throw new LcmException("cannot read row group " + index + " of " + file + ": " + e.getMessage(), e);
        }
        if (pages == null) throw new LcmException("row group " + index + " of " + file + " is missing");
        List<Object> ids, texts, vectors, ttexts, tvectors;
        // a column may serve twice (e.g. as source and target); its pages can be read only once
        Map<String, List<Object>> decoded = new HashMap<>();
        Map<String, List<Object>> extraValues = new java.util.LinkedHashMap<>();
        try {
            ids = values(id, pages, rows, decoded);
            texts = values(sourceText, pages, rows, decoded);
            vectors = values(source, pages, rows, decoded);
            ttexts = values(targetText, pages, rows, decoded);
            tvectors = values(target, pages, rows, decoded);
            for (var e : extras.entrySet()) extraValues.put(e.getKey(), decodeAny(e.getValue(), pages, rows, decoded));
        } catch (LcmException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new LcmException("cannot decode row group " + index + " of " + file + ": " + e.getMessage(), e);
        }
        List<Document> docs = new ArrayList<>((int) rows);
        for (int i = 0; i < rows; i++) {
            long docIndex = firstRow[index] + i;
            float[][] src = (float[][]) vectors.get(i);
            float[][] tgt = tvectors == null ? null : (float[][]) tvectors.get(i);
            check(src, columns.source(), docIndex);
            check(tgt, columns.target(), docIndex);
            docs.add(new Document((String) (ids == null ? null : ids.get(i)), strings(texts, i), src,
                    strings(ttexts, i), tgt, null));
        }
        return new RowGroup(docs, extraValues);
    }

    @Override
    public Iterator<Document> iterator() {
        return new Iterator<>() {
            private int group = 0;
            private Iterator<Document> current = List.<Document>of().iterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && group < rowGroups.size()) current = readRowGroup(group++).iterator();
                return current.hasNext();
            }

            @Override
            public Document next() {
                if (!hasNext()) throw new NoSuchElementException();
                return current.next();
            }
        };
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read-only file: nothing to lose
        }
    }

    private void check(float[][] vectors, String column, long docIndex) {
        if (vectors == null) return;
        for (int s = 0; s < vectors.length; s++) {
            float[] v = vectors[s];
            if (dim == 0) dim = v.length;
            if (v.length != dim) {
                throw new LcmException(file + ": document " + docIndex + ", column '" + column + "', sentence " + s
                        + " has a vector of dimension " + v.length + ", expected " + dim);
            }
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    throw new LcmException(file + ": document " + docIndex + ", column '" + column + "', sentence "
                            + s + " has a non-finite value (" + x + ") in its vector");
                }
            }
        }
    }

    private ColumnDecoder decoder(MessageType schema, String column, ColumnDecoder.Shape shape, String createdBy) {
        return column == null ? null : new ColumnDecoder(file, schema, column, shape, createdBy);
    }

    private static List<Object> values(ColumnDecoder d, PageReadStore pages, long rows,
                                       Map<String, List<Object>> decoded) {
        if (d == null) return null;
        return decoded.computeIfAbsent(String.join(".", d.leaf().getPath()), k -> d.decode(pages, rows));
    }

    /** An extra column is decoded on its own (its pages may also serve a document column, so it gets a fresh reader). */
    private static List<Object> decodeAny(ColumnDecoder d, PageReadStore pages, long rows, Map<String, List<Object>> decoded) {
        return decoded.computeIfAbsent("any:" + String.join(".", d.leaf().getPath()), k -> d.decode(pages, rows));
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(List<Object> column, int i) {
        return column == null ? null : (List<String>) column.get(i);
    }
}
