package org.fusekicdc.fuseki.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.fuseki.config.CapturedDatasetSettings;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.fuseki.config.VocabCdc;

/**
 * Checks every {@code cdc:CapturedDataset} of a Fuseki configuration file before the server
 * builds anything, so that a mistake is reported with the file and line it is on.
 */
final class ConfigFileCheck {
    private ConfigFileCheck() {}

    static void check(Path file) {
        Model model = RDFDataMgr.loadModel(file.toString());
        for ( Resource r : model.listSubjectsWithProperty(RDF.type, VocabCdc.CapturedDataset).toList() ) {
            try {
                CapturedDatasetSettings.from(r);
            } catch (CdcConfigException ex) {
                int line = ex.option() == null ? -1 : lineOf(file, ex.option());
                String at = line > 0 ? file + " line " + line : file.toString();
                throw new CdcConfigException(ex.option(), "Configuration error in " + at + ": " + ex.getMessage());
            }
        }
    }

    /** The first line that mentions the property, by prefixed name or full IRI; -1 if none. */
    static int lineOf(Path file, String localName) {
        Pattern p = Pattern.compile("(:" + Pattern.quote(localName) + "(?![\\w-]))|(" + Pattern.quote(VocabCdc.NS + localName) + ">)");
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for ( int i = 0 ; i < lines.size() ; i++ ) {
                if ( p.matcher(lines.get(i)).find() )
                    return i + 1;
            }
        } catch (IOException ex) {
            return -1;
        }
        return -1;
    }
}
