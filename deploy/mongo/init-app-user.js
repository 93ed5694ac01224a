// Runs once, when MongoDB's data volume is initialised (docker-entrypoint-initdb.d), as the root user
// created from MONGO_INITDB_ROOT_USERNAME/PASSWORD. The application and the exporter get their own
// users so the root password is needed by nothing but this script and an operator's shell.
const required = ["MONGO_APP_USERNAME", "MONGO_APP_PASSWORD", "MONGO_EXPORTER_USERNAME", "MONGO_EXPORTER_PASSWORD"];
for (const name of required) {
  if (!process.env[name]) {
    throw new Error(`${name} is not set: run setup_wizard.py and recreate the cspm-mongo volume`);
  }
}
const admin = db.getSiblingDB("admin");
// The platform uses 14 databases (cspm_platform, ...) whose names are configurable, so the
// application user gets read/write (and index management) on every non-system database.
admin.createUser({
  user: process.env.MONGO_APP_USERNAME,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: "readWriteAnyDatabase", db: "admin" }, { role: "clusterMonitor", db: "admin" }],
});
admin.createUser({
  user: process.env.MONGO_EXPORTER_USERNAME,
  pwd: process.env.MONGO_EXPORTER_PASSWORD,
  roles: [{ role: "clusterMonitor", db: "admin" }, { role: "read", db: "local" }],
});
