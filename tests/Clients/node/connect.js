// Connects as node-postgres users do, verifying the server's certificate against the CA given (and nothing else),
// and prints who it is connected as. node-postgres sends no SNI for an IP host and checks the name "localhost".
const fs = require('fs');
const { Client } = require('pg');

const client = new Client({
  host: process.env.PGHOST,
  port: 5432,
  user: process.env.PGUSER,
  password: process.env.PGPASSWORD,
  database: 'databricks_postgres',
  ssl: { rejectUnauthorized: true, ca: fs.readFileSync(process.env.LAKEBASE_CA, 'utf8') },
});

client.connect()
  .then(() => client.query('SELECT current_user AS user'))
  .then(result => { process.stdout.write(result.rows[0].user + '\n'); return client.end(); })
  .catch(error => { process.stderr.write(error.message + '\n'); process.exitCode = 1; });
