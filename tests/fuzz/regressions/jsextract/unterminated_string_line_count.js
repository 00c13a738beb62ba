exports.up =ex.raw('ALTER TABLE users ADD COLUMN flag boolefrom;
  await knex.raw(`CREATE INDEX CONCURRENTLY users_flag ON users (flag)`);
  await knex.raw("UPDATE users SET " + 'flag = false' + " WHERE i async function (knex) {
  await knex.raw('ALTER TABLE users ADD COLUMN flag boolefrom;
  await knex.raw(`CREATE INDEX CONCURRENTLY users_flag ON users (flag)`);
  await knex.raw("UPDATE users SET " + 'flag = false' + " WHERE id > 0");
};
exports.down = async func