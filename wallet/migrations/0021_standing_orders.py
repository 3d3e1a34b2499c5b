"""Standing orders (scheduled and recurring transfers) and the occurrences the scheduler ran of them."""

import django.db.models.deletion
import django.utils.timezone
import wallet.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('wallet', '0020_payment_requests'),
    ]

    operations = [
        migrations.CreateModel(
            name='StandingOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('receiver_mobile_number', models.CharField(blank=True, default='', max_length=16)),
                ('amount', wallet.fields.MoneyField()),
                ('currency', models.CharField(max_length=3)),
                ('note', models.CharField(blank=True, default='', max_length=255)),
                ('repeat', models.CharField(choices=[('NONE', 'Once'), ('DAILY', 'Daily'), ('WEEKLY', 'Weekly'), ('MONTHLY', 'Monthly')], max_length=8)),
                ('day_of_month', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('first_run_at', models.DateTimeField()),
                ('ends_at', models.DateTimeField(blank=True, null=True)),
                ('max_occurrences', models.PositiveIntegerField(blank=True, null=True)),
                ('status', models.CharField(choices=[('ACTIVE', 'Active'), ('PAUSED', 'Paused'), ('CANCELLED', 'Cancelled'), ('COMPLETED', 'Completed')], default='ACTIVE', max_length=9)),
                ('next_number', models.PositiveIntegerField(default=1)),
                ('next_run_at', models.DateTimeField(blank=True, null=True)),
                ('idempotency_key', models.CharField(max_length=255)),
                ('request_fingerprint', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='standing_orders', to=settings.AUTH_USER_MODEL)),
                ('receiver', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='StandingOrderOccurrence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField()),
                ('due_at', models.DateTimeField()),
                ('ran_at', models.DateTimeField()),
                ('status', models.CharField(choices=[('SUCCESS', 'Success'), ('FAILED', 'Failed'), ('PENDING', 'Pending')], max_length=8)),
                ('failure_code', models.CharField(blank=True, default='', max_length=32)),
                ('standing_order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='occurrences', to='wallet.standingorder')),
                ('transaction', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='standing_order_occurrence', to='wallet.transaction')),
            ],
        ),
        migrations.AddIndex(
            model_name='standingorder',
            index=models.Index(condition=models.Q(('status', 'ACTIVE')), fields=['next_run_at'], name='standing_order_due'),
        ),
        migrations.AddIndex(
            model_name='standingorder',
            index=models.Index(fields=['owner', '-id'], name='standing_order_owner_list'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.UniqueConstraint(fields=('owner', 'idempotency_key'), name='standing_order_key_unique_per_owner'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='standing_order_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.CheckConstraint(condition=models.Q(('day_of_month__isnull', True), models.Q(('day_of_month__gte', 1), ('day_of_month__lte', 31), ('repeat', 'MONTHLY')), _connector='OR'), name='standing_order_day_of_month_monthly'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.CheckConstraint(condition=models.Q(('max_occurrences__isnull', True), ('max_occurrences__gte', 1), _connector='OR'), name='standing_order_max_occurrences_positive'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__isnull', True), ('ends_at__gt', models.F('first_run_at')), _connector='OR'), name='standing_order_ends_after_first_run'),
        ),
        migrations.AddConstraint(
            model_name='standingorder',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('next_run_at__isnull', False), ('status__in', ['ACTIVE', 'PAUSED'])), models.Q(('next_run_at__isnull', True), ('status__in', ['CANCELLED', 'COMPLETED'])), _connector='OR'), name='standing_order_next_run_iff_open'),
        ),
        migrations.AddConstraint(
            model_name='standingorderoccurrence',
            constraint=models.UniqueConstraint(fields=('standing_order', 'number'), name='standing_order_occurrence_once'),
        ),
        migrations.AddConstraint(
            model_name='standingorderoccurrence',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('failure_code', ''), ('status', 'SUCCESS')), models.Q(('status', 'FAILED'), models.Q(('failure_code', ''), _negated=True)), _connector='OR'), name='occurrence_failure_code_iff_failed'),
        ),
    ]
