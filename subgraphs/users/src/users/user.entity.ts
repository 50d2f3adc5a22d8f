import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum ColorMode {
  LIGHT = 'LIGHT',
  DARK = 'DARK',
  SYSTEM = 'SYSTEM',
}
registerEnumType(ColorMode, {
  name: 'ColorMode',
  description: 'How the UI is coloured for a user.',
  valuesConfig: {
    LIGHT: { description: 'Always light.' },
    DARK: { description: 'Always dark.' },
    SYSTEM: { description: "Follow the operating system's setting." },
  },
});

/** A person. The password hash is a column, never a field. */
@ObjectType({ description: 'A person who signs in to Flowplane.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'user' })
export class User {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Field(() => String, { description: 'Unique, URL-safe handle.' })
  @Property({ type: 'string', length: 40, unique: true })
  handle!: string;

  @Field(() => String, { description: 'Display name.' })
  @Property({ type: 'string', length: 100 })
  name!: string;

  /** Shown to the user themself only (resolver). */
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Field(() => String, { nullable: true, description: 'Profile image URL.' })
  @Property({ type: 'string', length: 2048, nullable: true })
  imageUrl?: string | null = null;

  @Field(() => String, { description: 'Preferred IANA time zone, e.g. "Europe/Paris".' })
  @Property({ type: 'string', length: 64 })
  timezone: string = 'UTC';

  @Field(() => ColorMode, { description: 'Preferred colour mode.' })
  @Property({ type: 'string', length: 10 })
  colorMode: ColorMode = ColorMode.SYSTEM;

  @Property({ type: 'string', length: 255, lazy: true })
  passwordHash!: string;

  @Field(() => Date, { description: 'When the user signed up.' })
  @Property({ type: 'Date' })
  createdAt: Date = new Date();

  @Field(() => Date, { description: 'Last profile change.' })
  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
