package org.fusekicdc.core.source;

import java.nio.file.Path;

import org.apache.jena.rdf.model.Resource;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.config.OptionValues;

/**
 * Everything a source is created from.
 *
 * @param dataset     the captured dataset the source writes into
 * @param name        the source's name (cdc:name, else the type's default), unique per dataset
 * @param options     the source's literal options, with {@code ${env:NAME}} expansion
 * @param description the {@code cdc:source} resource itself, for nested options (mappings)
 * @param workDir     a directory of the source's own, beside the dataset's change log, for state
 *                    that must survive restarts
 */
public record SourceContext(CapturingDatasetGraph dataset, String name, OptionValues options, Resource description, Path workDir) {}
