package org.fusekicdc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server configurations compared. All serve one TDB2 dataset as {@code /ds} with the same
 * endpoints (query, {@code /ds/update}, {@code /ds/data}); they differ only in what wraps it.
 */
enum ServerKind {
    /** Fuseki with the TDB2 dataset served directly. */
    PLAIN("plain", "plain Fuseki, tdb2:DatasetTDB2"),
    /** fuseki-cdc capture with default options (durable log, fsync on). */
    CAPTURE("capture", "cdc:CapturedDataset, default options (cdc:fsync true)"),
    /** fuseki-cdc capture without forcing each patch to disk: separates the fsync's cost. */
    CAPTURE_NOFSYNC("captureNoFsync", "cdc:CapturedDataset, cdc:fsync false"),
    /** fuseki-cdc capture that keeps every transaction's changes in memory (cdc:spillThreshold at its maximum): separates the spill's cost. */
    CAPTURE_NOSPILL("captureNoSpill", "cdc:CapturedDataset, cdc:spillThreshold 10000000 (no spill)"),
    /** fuseki-cdc capture without the resource-history index (cdc:historyIndex false): separates the index's cost. */
    CAPTURE_NOINDEX("captureNoIndex", "cdc:CapturedDataset, cdc:historyIndex false (no resource-history index)"),
    /** Jena's own text patch log: jena-rdfpatch's patch:LoggedDataset (fsyncs each transaction's patch). */
    JENA_PATCH_LOG("jenaPatchLog", "patch:LoggedDataset (jena-rdfpatch), one file");

    final String id;
    final String description;

    ServerKind(String id, String description) {
        this.id = id;
        this.description = description;
    }

    static ServerKind byId(String id) {
        for ( ServerKind k : values() ) {
            if ( k.id.equalsIgnoreCase(id.trim()) )
                return k;
        }
        throw new IllegalArgumentException("Unknown server configuration '" + id + "'; one of plain, capture, captureNoFsync, captureNoSpill, captureNoIndex, jenaPatchLog");
    }

    boolean captured() {
        return this == CAPTURE || this == CAPTURE_NOFSYNC || this == CAPTURE_NOSPILL || this == CAPTURE_NOINDEX;
    }

    /** Fuseki configuration for a server whose files live under {@code dir}. */
    String config(Path dir) {
        String tdb = dir.resolve("databases/ds").toAbsolutePath().toString();
        StringBuilder sb = new StringBuilder("""
            PREFIX :       <#>
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            PREFIX patch:  <http://jena.apache.org/rdf-patch#>
            PREFIX ja:     <http://jena.hpl.hp.com/2005/11/Assembler#>

            [] rdf:type fuseki:Server .

            :service rdf:type fuseki:Service ;
                fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] ;
                fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name "update" ] ;
                fuseki:endpoint [ fuseki:operation fuseki:gsp-rw ; fuseki:name "data" ] ;
            """);
        if ( captured() )
            sb.append("    fuseki:endpoint [ fuseki:operation cdc:changes ; fuseki:name \"changes\" ] ;\n");
        sb.append("    fuseki:dataset :dataset .\n\n");
        String tdbDecl = "tdb2:location \"" + tdb + "\" .\n";
        switch (this) {
            case PLAIN -> sb.append(":dataset rdf:type tdb2:DatasetTDB2 ; ").append(tdbDecl);
            case CAPTURE, CAPTURE_NOFSYNC, CAPTURE_NOSPILL, CAPTURE_NOINDEX -> {
                sb.append(":dataset rdf:type cdc:CapturedDataset ;\n    cdc:dataset :tdb ;\n    cdc:logDirectory \"")
                  .append(dir.resolve("changes/ds").toAbsolutePath()).append("\"");
                if ( this == CAPTURE_NOFSYNC )
                    sb.append(" ;\n    cdc:fsync false");
                if ( this == CAPTURE_NOSPILL )
                    sb.append(" ;\n    cdc:spillThreshold 10000000");
                if ( this == CAPTURE_NOINDEX )
                    sb.append(" ;\n    cdc:historyIndex false");
                sb.append(" .\n:tdb rdf:type tdb2:DatasetTDB2 ; ").append(tdbDecl);
            }
            case JENA_PATCH_LOG -> {
                Path logDir = dir.resolve("patchlog");
                try {
                    Files.createDirectories(logDir);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                sb.append(":dataset rdf:type patch:LoggedDataset ;\n    ja:dataset :tdb ;\n    patch:log \"")
                  .append(logDir.resolve("ds.rdfp").toAbsolutePath()).append("\" .\n")
                  .append(":tdb rdf:type tdb2:DatasetTDB2 ; ").append(tdbDecl);
            }
        }
        return sb.toString();
    }

    /** Where this kind keeps its change log under {@code dir}, or null when it has none. */
    Path logDirectory(Path dir) {
        return switch (this) {
            case PLAIN -> null;
            case CAPTURE, CAPTURE_NOFSYNC, CAPTURE_NOSPILL, CAPTURE_NOINDEX -> dir.resolve("changes/ds");
            case JENA_PATCH_LOG -> dir.resolve("patchlog");
        };
    }
}
