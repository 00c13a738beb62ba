// a knex migration: builder calls are not SQL text and are not extracted
exports.up = async function (knex) {
  await knex.schema.createTable('ignored_builder', (t) => { t.increments(); });
  await knex.raw('CREATE TABLE users (id serial PRIMARY KEY, email text)');
  await knex.raw(
    "ALTER TABLE users ADD COLUMN name text; " +
      'ALTER TABLE users ADD COLUMN "it\'s" int'
  );
  await knex.schema.raw(`
    CREATE INDEX users_email
      ON users (email)
  `);
  const table = 'users';
  await knex.raw(`ALTER TABLE ${table} ADD COLUMN dynamic int`);
};

exports.down = function (knex) {
  return knex.raw('DROP TABLE users');
};
