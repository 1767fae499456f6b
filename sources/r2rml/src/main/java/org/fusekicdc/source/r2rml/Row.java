package org.fusekicdc.source.r2rml;

import java.util.Collection;
import java.util.Map;

/**
 * One row of a logical table: column label to value (null for SQL NULL), values as
 * {@link NaturalLiterals} describes them.
 */
public record Row(Map<String, Object> values) {

    /**
     * The value of the column the mapping names: a delimited name ({@code "\"ID\""}) exactly,
     * an undelimited one exactly or else ignoring case (databases fold undelimited names).
     *
     * @throws R2rmlException if the row has no such column
     */
    public Object value(String mappingName) {
        return values.get(resolve(mappingName, values.keySet()));
    }

    /** The label among {@code labels} that the mapping's column name denotes. */
    static String resolve(String mappingName, Collection<String> labels) {
        boolean delimited = mappingName.length() > 1 && mappingName.startsWith("\"") && mappingName.endsWith("\"");
        String name = delimited ? mappingName.substring(1, mappingName.length() - 1).replace("\"\"", "\"") : mappingName;
        if ( labels.contains(name) )
            return name;
        if ( !delimited ) {
            for ( String label : labels )
                if ( label.equalsIgnoreCase(name) )
                    return label;
        }
        throw new R2rmlException("Column " + mappingName + " is not in the logical table, whose columns are " + labels
                                 + ". Fix the column name in the mapping (a delimited name \"\\\"Name\\\"\" must match exactly).");
    }
}
