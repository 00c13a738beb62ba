import { MigrationInterface, QueryRunner } from "typeorm";

export class CreatePhoto1700000000000 implements MigrationInterface {
    name = "CreatePhoto1700000000000";

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "photo" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, CONSTRAINT "PK_photo" PRIMARY KEY ("id"))`);
        await queryRunner.query(`ALTER TABLE "photo" ADD "views" integer NOT NULL DEFAULT 0`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "photo"`);
    }
}
