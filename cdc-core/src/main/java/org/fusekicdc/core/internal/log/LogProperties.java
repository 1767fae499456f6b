package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;
import java.util.UUID;

import org.fusekicdc.core.CdcConfigException;

/** The change log's own properties file: which dataset owns the directory, the format, and the log's base and history. */
final class LogProperties {
    static final String META_FILE = "changelog.properties";
    private static final int FORMAT = 1;
    private static final String HISTORY_ID = "historyId";
    private static final String EPOCH = "epoch";

    private LogProperties() {}

    /** Record which dataset owns the directory, or check that it is this one. */
    static void checkOwner(Path dir, String dataset) {
        Path meta = dir.resolve(META_FILE);
        Properties props = new Properties();
        try {
            if ( Files.exists(meta) ) {
                try (InputStream in = Files.newInputStream(meta)) {
                    props.load(in);
                }
                String owner = props.getProperty("dataset");
                if ( !dataset.equals(owner) )
                    throw new CdcConfigException("The change log in " + dir + " belongs to dataset '" + owner + "', not to '" + dataset
                                                 + "'. Give each dataset its own cdc:logDirectory (or set cdc:name back to '" + owner + "').");
                String fmt = props.getProperty("format");
                if ( !String.valueOf(FORMAT).equals(fmt) )
                    throw new CdcConfigException("The change log in " + dir + " has format " + fmt + "; this version of fuseki-cdc reads format "
                                                 + FORMAT + ". Use the fuseki-cdc release that wrote it, or start a new log directory.");
                return;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
                if ( ds.iterator().hasNext() )
                    throw new CdcConfigException("The directory " + dir + " holds log segments but no " + META_FILE
                                                 + "; it is not a fuseki-cdc change log or was damaged. Point cdc:logDirectory elsewhere.");
            }
            props.setProperty("dataset", dataset);
            props.setProperty("format", String.valueOf(FORMAT));
            write(dir, props);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot read or write " + meta + ": " + ex, ex);
        }
    }
    static Properties read(Path dir, String dataset) {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(META_FILE))) {
            props.load(in);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot read " + dir.resolve(META_FILE) + ": " + ex, ex);
        }
        return props;
    }
    static void write(Path dir, Properties props) throws IOException {
        Path tmp = dir.resolve(META_FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            props.store(out, "fuseki-cdc change log");
        }
        Files.move(tmp, dir.resolve(META_FILE), StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
    }
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** The history recorded in the properties, or null. */
    static History history(Properties meta) {
        String id = meta.getProperty(HISTORY_ID);
        return id == null ? null : new History(UUID.fromString(id), Long.parseLong(meta.getProperty(EPOCH)));
    }

    static void recordHistory(Path dir, String dataset, History value) {
        Properties meta = read(dir, dataset);
        meta.setProperty(HISTORY_ID, value.id().toString());
        meta.setProperty(EPOCH, Long.toString(value.epoch()));
        try {
            write(dir, meta);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot record the log's history in " + dir + ": " + ex, ex);
        }
    }
}
