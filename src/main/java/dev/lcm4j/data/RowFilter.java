package dev.lcm4j.data;

import dev.lcm4j.LcmException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A dataset's {@code filters} / {@code partition_filters}: the reference evaluates these strings as Python to get a
 * pyarrow expression (or a list of DNF tuples), so lcm4j parses the forms users write and refuses every other one by
 * name. Supported:
 * <ul>
 *   <li>calls prefixed {@code pa.compute.}, {@code pc.}, {@code pyarrow.compute.}, {@code pa.dataset.}, {@code ds.}:
 *       {@code field("col")}, {@code list_value_length(x)}, {@code less}, {@code less_equal}, {@code greater},
 *       {@code greater_equal}, {@code equal}, {@code not_equal}, {@code and_}, {@code or_}, {@code and_kleene},
 *       {@code or_kleene}, {@code invert}, {@code is_null}, {@code is_valid};</li>
 *   <li>the operators {@code < <= > >= == != & | ~} between such expressions and literals (ints, floats, strings,
 *       True/False/None);</li>
 *   <li>DNF lists as {@code pq.filters_to_expression} takes them: {@code [("split", "=", "train"), ...]} (AND) or
 *       a list of such lists (OR), with {@code = == != < > <= >= in} and {@code not in}.</li>
 * </ul>
 * Values follow Arrow's three-valued logic: a comparison with null is null, and a row is kept only when the whole
 * expression is true. {@code &}/{@code |} are Kleene (false &amp; null = false), {@code and_}/{@code or_} are not.
 */
public final class RowFilter {
    private static final List<String> PREFIXES = List.of("pyarrow.compute.", "pyarrow.dataset.", "pa.compute.",
            "pa.dataset.", "pc.", "ds.");
    private static final List<String> FUNCTIONS = List.of("field", "list_value_length", "less", "less_equal", "greater",
            "greater_equal", "equal", "not_equal", "and_", "or_", "and_kleene", "or_kleene", "invert", "is_null",
            "is_valid");

    private final String key;
    private final String text;
    private final Node root;

    private RowFilter(String key, String text, Node root) {
        this.key = key;
        this.text = text;
        this.root = root;
    }

    /** Parses {@code text}; {@code key} names the option in errors (e.g. {@code trainer.training_data[0].filters}). */
    public static RowFilter parse(String key, String text) {
        Parser p = new Parser(key, text);
        Node n = p.parseTop();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("unexpected '" + text.substring(p.pos) + "'");
        return new RowFilter(key, text, n);
    }

    public String text() {
        return text;
    }

    /** The columns the expression reads. */
    public Set<String> columns() {
        Set<String> out = new LinkedHashSet<>();
        root.collect(out);
        return out;
    }

    /** Whether a row whose column values {@code row} gives passes (true only when the expression is true). */
    public boolean test(Function<String, Object> row) {
        Object v = root.eval(row, this);
        if (v != null && !(v instanceof Boolean)) {
            throw new LcmException(key + " '" + text + "' does not give true/false but " + v + "; write a comparison");
        }
        return Boolean.TRUE.equals(v);
    }

    private LcmException typeError(String what) {
        return new LcmException(key + " '" + text + "': " + what);
    }

    // ---- expression tree

    private sealed interface Node permits Field, Literal, Call {
        Object eval(Function<String, Object> row, RowFilter f);

        default void collect(Set<String> out) {
        }
    }

    private record Field(String name) implements Node {
        public Object eval(Function<String, Object> row, RowFilter f) {
            return row.apply(name);
        }

        public void collect(Set<String> out) {
            out.add(name);
        }
    }

    private record Literal(Object value) implements Node {
        public Object eval(Function<String, Object> row, RowFilter f) {
            return value;
        }
    }

    private record Call(String fn, List<Node> args) implements Node {
        public void collect(Set<String> out) {
            for (Node a : args) a.collect(out);
        }

        public Object eval(Function<String, Object> row, RowFilter f) {
            List<Object> v = new ArrayList<>(args.size());
            for (Node a : args) v.add(a.eval(row, f));
            return switch (fn) {
                case "list_value_length" -> length(v.get(0), f);
                case "less", "less_equal", "greater", "greater_equal", "equal", "not_equal" -> compare(fn, v.get(0), v.get(1), f);
                case "and_", "or_", "and_kleene", "or_kleene" -> logic(fn, bool(v.get(0), f), bool(v.get(1), f));
                case "invert" -> v.get(0) == null ? null : !bool(v.get(0), f);
                case "is_null" -> v.get(0) == null;
                case "is_valid" -> v.get(0) != null;
                case "is_in" -> v.get(0) == null ? null : ((List<?>) v.get(1)).stream().anyMatch(x -> compareValues(v.get(0), x, f) == 0);
                default -> throw new IllegalStateException(fn);
            };
        }
    }

    private static Object length(Object v, RowFilter f) {
        if (v == null) return null;
        if (v instanceof List<?> l) return (long) l.size();
        if (v instanceof double[] d) return (long) d.length;
        if (v instanceof float[][] m) return (long) m.length;
        if (v instanceof ColumnDecoder.ListLength n) return (long) n.length();
        throw f.typeError("list_value_length of a non-list value " + v);
    }

    private static Boolean bool(Object v, RowFilter f) {
        if (v == null || v instanceof Boolean) return (Boolean) v;
        throw f.typeError("expected true/false, got " + v);
    }

    private static Boolean logic(String fn, Boolean a, Boolean b) {
        boolean and = fn.startsWith("and");
        if (fn.endsWith("kleene")) {
            if (and && (Boolean.FALSE.equals(a) || Boolean.FALSE.equals(b))) return false;
            if (!and && (Boolean.TRUE.equals(a) || Boolean.TRUE.equals(b))) return true;
        }
        if (a == null || b == null) return null;
        return and ? a && b : a || b;
    }

    private static Boolean compare(String fn, Object a, Object b, RowFilter f) {
        if (a == null || b == null) return null;
        int c = compareValues(a, b, f);
        return switch (fn) {
            case "less" -> c < 0;
            case "less_equal" -> c <= 0;
            case "greater" -> c > 0;
            case "greater_equal" -> c >= 0;
            case "equal" -> c == 0;
            default -> c != 0;
        };
    }

    private static int compareValues(Object a, Object b, RowFilter f) {
        if (a instanceof Number x && b instanceof Number y) {
            if (x instanceof Long && y instanceof Long) return Long.compare(x.longValue(), y.longValue());
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) return x.compareTo(y);
        if (a instanceof Boolean x && b instanceof Boolean y) return Boolean.compare(x, y);
        throw f.typeError("cannot compare " + describe(a) + " with " + describe(b));
    }

    private static String describe(Object v) {
        if (v instanceof String s) return "the string '" + s + "'";
        if (v instanceof Number n) return "the number " + n;
        if (v instanceof Boolean b) return "the boolean " + b;
        return "a list (use list_value_length)";
    }

    // ---- parser: a small subset of Python expressions

    private static final class Parser {
        final String key;
        final String s;
        int pos;

        Parser(String key, String s) {
            this.key = key;
            this.s = s;
        }

        LcmException error(String what) {
            return new LcmException(key + " '" + s + "': " + what + "; lcm4j understands pyarrow compute calls ("
                    + String.join(", ", FUNCTIONS) + "), the operators < <= > >= == != & | ~ and DNF lists such as"
                    + " [(\"split\", \"=\", \"train\")]");
        }

        Node parseTop() {
            skipSpace();
            if (peek('[')) return dnf();
            return comparison();
        }

        /** Python precedence: comparisons bind looser than | and &amp;, so (a &gt; 1) &amp; (b &lt; 2) needs its parentheses. */
        Node comparison() {
            Node a = or();
            for (String[] op : new String[][] {{"<=", "less_equal"}, {">=", "greater_equal"}, {"==", "equal"},
                    {"!=", "not_equal"}, {"<", "less"}, {">", "greater"}}) {
                if (eat(op[0])) {
                    Node n = new Call(op[1], List.of(a, or()));
                    skipSpace();
                    if (pos < s.length() && "<>=!".indexOf(s.charAt(pos)) >= 0) {
                        throw error("chained comparisons are not supported; combine comparisons in parentheses with &");
                    }
                    return n;
                }
            }
            return a;
        }

        Node or() {
            Node n = and();
            while (eat("|")) n = new Call("or_kleene", List.of(operand(n), operand(and())));
            return n;
        }

        Node and() {
            Node n = not();
            while (eat("&")) n = new Call("and_kleene", List.of(operand(n), operand(not())));
            return n;
        }

        /** In Python, "1 &amp; expr" is evaluated before any comparison around it, which is never what a filter means. */
        Node operand(Node n) {
            if (n instanceof Literal) throw error("& and | combine conditions; put each comparison in parentheses");
            return n;
        }

        Node not() {
            if (eat("~")) return new Call("invert", List.of(not()));
            return primary();
        }

        Node primary() {
            skipSpace();
            if (eat("(")) {
                Node n = comparison();
                expect(")");
                return n;
            }
            Object lit = literal();
            if (lit != NO_LITERAL) return new Literal(lit);
            String name = dotted();
            if (name.isEmpty()) throw error("expected an expression at position " + pos);
            String fn = null;
            for (String p : PREFIXES) if (name.startsWith(p)) fn = name.substring(p.length());
            if (fn == null || !FUNCTIONS.contains(fn)) {
                throw error("'" + name + "' is not supported");
            }
            expect("(");
            List<Node> args = new ArrayList<>();
            skipSpace();
            if (!peek(')')) {
                do {
                    args.add(comparison());
                } while (eat(","));
            }
            expect(")");
            int arity = switch (fn) {
                case "field", "list_value_length", "invert", "is_null", "is_valid" -> 1;
                default -> 2;
            };
            if (args.size() != arity) throw error(fn + " takes " + arity + " argument(s), got " + args.size());
            if (fn.equals("field")) {
                if (!(args.get(0) instanceof Literal l) || !(l.value() instanceof String col)) {
                    throw error("field() takes a column name in quotes");
                }
                return new Field(col);
            }
            return new Call(fn, args);
        }

        /** {@code [(col, op, value), ...]} or {@code [[...], [...]]}. */
        Node dnf() {
            Object v = literal();
            if (!(v instanceof List<?> outer) || outer.isEmpty()) throw error("a DNF filter is a non-empty list");
            boolean nested = outer.get(0) instanceof List<?> first && !first.isEmpty() && first.get(0) instanceof List<?>;
            List<List<?>> groups = new ArrayList<>();
            if (nested) for (Object g : outer) groups.add((List<?>) g);
            else groups.add(outer);
            Node any = null;
            for (List<?> g : groups) {
                Node all = null;
                for (Object t : g) {
                    Node term = term(t);
                    all = all == null ? term : new Call("and_kleene", List.of(all, term));
                }
                any = any == null ? all : new Call("or_kleene", List.of(any, all));
            }
            return any;
        }

        Node term(Object t) {
            if (!(t instanceof List<?> l) || l.size() != 3 || !(l.get(0) instanceof String col) || !(l.get(1) instanceof String op)) {
                throw error("a DNF term is (column, operator, value), got " + t);
            }
            Field f = new Field(col);
            Object value = l.get(2);
            return switch (op) {
                case "=", "==" -> new Call("equal", List.of(f, new Literal(value)));
                case "!=" -> new Call("not_equal", List.of(f, new Literal(value)));
                case "<" -> new Call("less", List.of(f, new Literal(value)));
                case ">" -> new Call("greater", List.of(f, new Literal(value)));
                case "<=" -> new Call("less_equal", List.of(f, new Literal(value)));
                case ">=" -> new Call("greater_equal", List.of(f, new Literal(value)));
                case "in", "not in" -> {
                    if (!(value instanceof List<?>)) throw error("'" + op + "' needs a list of values");
                    Node in = new Call("is_in", List.of(f, new Literal(value)));
                    yield op.equals("in") ? in : new Call("invert", List.of(in));
                }
                default -> throw error("operator '" + op + "' is not supported");
            };
        }

        static final Object NO_LITERAL = new Object();

        /** A Python literal, or {@link #NO_LITERAL}. */
        Object literal() {
            skipSpace();
            if (pos >= s.length()) return NO_LITERAL;
            char c = s.charAt(pos);
            if (c == '"' || c == '\'') {
                int end = s.indexOf(c, pos + 1);
                if (end < 0) throw error("unterminated string");
                String v = s.substring(pos + 1, end);
                pos = end + 1;
                return v;
            }
            if (c == '[' || (c == '(' && looksLikeTuple())) {
                char close = c == '[' ? ']' : ')';
                pos++;
                List<Object> out = new ArrayList<>();
                skipSpace();
                while (!peek(close)) {
                    Object v = literal();
                    if (v == NO_LITERAL) throw error("expected a value at position " + pos);
                    out.add(v);
                    if (!eat(",")) break;
                    skipSpace();
                }
                expect(String.valueOf(close));
                return out;
            }
            if (Character.isDigit(c) || ((c == '-' || c == '.') && pos + 1 < s.length() && Character.isDigit(s.charAt(pos + 1)))) {
                int start = pos++;
                while (pos < s.length() && (Character.isDigit(s.charAt(pos)) || "._eE".indexOf(s.charAt(pos)) >= 0
                        || ((s.charAt(pos) == '-' || s.charAt(pos) == '+') && "eE".indexOf(s.charAt(pos - 1)) >= 0))) pos++;
                String num = s.substring(start, pos).replace("_", "");
                try {
                    return num.matches("-?\\d+") ? (Object) Long.parseLong(num) : (Object) Double.parseDouble(num);
                } catch (NumberFormatException e) {
                    throw error("'" + num + "' is not a number");
                }
            }
            for (String[] w : new String[][] {{"True", "t"}, {"False", "f"}, {"None", "n"}}) {
                if (s.startsWith(w[0], pos) && (pos + w[0].length() == s.length()
                        || !Character.isJavaIdentifierPart(s.charAt(pos + w[0].length())))) {
                    pos += w[0].length();
                    return w[1].equals("t") ? Boolean.TRUE : w[1].equals("f") ? Boolean.FALSE : null;
                }
            }
            return NO_LITERAL;
        }

        /** A parenthesis opens a tuple (in DNF lists) when its first item is a string followed by a comma. */
        boolean looksLikeTuple() {
            int save = pos;
            pos++;
            skipSpace();
            boolean tuple = false;
            if (pos < s.length() && (s.charAt(pos) == '"' || s.charAt(pos) == '\'')) {
                int end = s.indexOf(s.charAt(pos), pos + 1);
                pos = end < 0 ? s.length() : end + 1;
                skipSpace();
                tuple = pos < s.length() && s.charAt(pos) == ',';
            }
            pos = save;
            return tuple;
        }

        String dotted() {
            skipSpace();
            int start = pos;
            while (pos < s.length() && (Character.isJavaIdentifierPart(s.charAt(pos)) || s.charAt(pos) == '.')) pos++;
            return s.substring(start, pos);
        }

        boolean peek(char c) {
            skipSpace();
            return pos < s.length() && s.charAt(pos) == c;
        }

        boolean eat(String tok) {
            skipSpace();
            if (s.startsWith(tok, pos)) {
                // "<" must not eat the "<" of "<=", "|" etc. are single characters
                if ((tok.equals("<") || tok.equals(">")) && s.startsWith("=", pos + 1)) return false;
                pos += tok.length();
                return true;
            }
            return false;
        }

        void expect(String tok) {
            if (!eat(tok)) throw error("expected '" + tok + "' at position " + pos);
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }
    }

    /** Partition values of a file under {@code root}: {@code key=value} directories (integers typed as numbers). */
    public static Map<String, Object> partitionValues(java.nio.file.Path root, java.nio.file.Path file) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        java.nio.file.Path rel = root.equals(file) ? file.getFileName() : root.relativize(file);
        for (int i = 0; i < rel.getNameCount() - 1; i++) {
            String part = rel.getName(i).toString();
            int eq = part.indexOf('=');
            if (eq <= 0) continue;
            String v = part.substring(eq + 1);
            out.put(part.substring(0, eq), v.matches("-?\\d{1,18}") ? (Object) Long.parseLong(v) : v);
        }
        return out;
    }
}
