package dev.lcm4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Python object of a class this reader does not rebuild (say {@code fractions.Fraction}). Keeping the class name,
 * the constructor arguments, the BUILD state and any items the pickle appended lets callers inspect unexpected
 * checkpoint content instead of the whole read failing on it. Mutable only while the pickle is being read.
 */
public final class PyObject {
    private final String className;
    private final List<Object> args;
    private Object state;
    private final List<Object> listItems = new ArrayList<>();
    private final Map<Object, Object> dictItems = new LinkedHashMap<>();

    PyObject(String className, List<Object> args) {
        this.className = className;
        this.args = args;
    }

    /** Fully qualified Python name, {@code module.qualname}. */
    public String className() {
        return className;
    }

    /** Arguments of the REDUCE / NEWOBJ call that made it (empty when the class object itself was pickled). */
    public List<Object> args() {
        return args;
    }

    /** The state given to BUILD ({@code __setstate__}), or null. */
    public Object state() {
        return state;
    }

    /** Items added with APPEND(S), as for list subclasses. */
    public List<Object> listItems() {
        return listItems;
    }

    /** Items added with SETITEM(S), as for dict subclasses such as {@code collections.defaultdict}. */
    public Map<Object, Object> dictItems() {
        return dictItems;
    }

    void setState(Object state) {
        this.state = state;
    }

    @Override
    public String toString() {
        return className + args;
    }
}
