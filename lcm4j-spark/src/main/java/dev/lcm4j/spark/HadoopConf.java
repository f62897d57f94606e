package dev.lcm4j.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop configuration (with Spark's {@code spark.hadoop.*} settings: credentials, endpoints) carried to
 * the tasks, which open the input files and write the dataset through the same file systems.
 */
final class HadoopConf implements Serializable {
    private transient Configuration conf;

    HadoopConf(Configuration conf) {
        this.conf = conf;
    }

    Configuration get() {
        return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException {
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
