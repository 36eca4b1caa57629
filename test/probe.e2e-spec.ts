import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NestFactory } from '@nestjs/core';
import { EventBus } from '@nestjs/cqrs';
import { patternsMatching } from '@hookline/webhooks-core';
test('loads', () => { assert.equal(typeof NestFactory.create, 'function'); assert.ok(EventBus); assert.deepEqual(patternsMatching('a.b'), ['a.b','a.*','*']); });
