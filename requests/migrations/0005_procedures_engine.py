# The procedures engine: types and stages as data, applicants of three kinds,
# the lifecycle columns, the hash-chained timeline and the conversation.

import django.db.models.deletion
import django.utils.timezone
import requests.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('collab', '0001_initial'),
        ('staff_requests', '0004_parental_leave_in_calendar_days'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='InterServiceRequest',
            fields=[
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='interservice', serialize=False, to='staff_requests.request')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('description', models.TextField(blank=True, verbose_name='description')),
            ],
            options={
                'verbose_name': 'request between directorates',
                'verbose_name_plural': 'requests between directorates',
            },
        ),
        migrations.CreateModel(
            name='RoutingRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('fact', models.SlugField(help_text='days, amount…', max_length=40, verbose_name='fact')),
                ('operator', models.CharField(choices=[('gt', '>'), ('gte', '≥'), ('lt', '<'), ('lte', '≤'), ('eq', '=')], max_length=3, verbose_name='operator')),
                ('value', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='value')),
            ],
            options={
                'verbose_name': 'routing rule',
                'verbose_name_plural': 'routing rules',
                'ordering': ['step', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='SubmittedDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('issued_on', models.DateField(blank=True, null=True, verbose_name='issued on')),
                ('status', models.CharField(choices=[('pending', 'Not checked yet'), ('accepted', 'Accepted'), ('rejected', 'Rejected')], default='pending', max_length=16, verbose_name='status')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='reason')),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'submitted document',
                'verbose_name_plural': 'submitted documents',
                'ordering': ['request', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='TimelineEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveIntegerField()),
                ('kind', models.CharField(choices=[('transition', 'Transition'), ('message', 'Message'), ('note', 'Internal note'), ('document', 'Document check'), ('deadline', 'Deadline'), ('assignment', 'Assignment')], max_length=16, verbose_name='kind')),
                ('public', models.BooleanField(default=True, verbose_name='shown to the applicant')),
                ('payload', models.JSONField(blank=True, default=dict)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('prev_hash', models.CharField(blank=True, max_length=64)),
                ('hash', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'timeline entry',
                'verbose_name_plural': 'timeline',
                'ordering': ['request', 'seq'],
            },
        ),
        migrations.AddField(
            model_name='request',
            name='applicant_directorate',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='collab.directorate', verbose_name='applying directorate'),
        ),
        migrations.AddField(
            model_name='request',
            name='applicant_kind',
            field=models.CharField(choices=[('staff', 'Staff member'), ('directorate', 'Directorate'), ('organisation', 'External organisation')], default='staff', max_length=16, verbose_name='applicant kind'),
        ),
        migrations.AddField(
            model_name='request',
            name='clock_stopped_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='request',
            name='correction_deadline',
            field=models.DateTimeField(blank=True, null=True, verbose_name='correct before'),
        ),
        migrations.AddField(
            model_name='request',
            name='correction_items',
            field=models.JSONField(blank=True, default=list, verbose_name='to correct'),
        ),
        migrations.AddField(
            model_name='request',
            name='current_step',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='staff_requests.workflowstep', verbose_name='current step'),
        ),
        migrations.AddField(
            model_name='request',
            name='decided_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='decided at'),
        ),
        migrations.AddField(
            model_name='request',
            name='due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='due'),
        ),
        migrations.AddField(
            model_name='request',
            name='expires_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='expires at'),
        ),
        migrations.AddField(
            model_name='request',
            name='expiry_notice_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='request',
            name='stage_entered_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='step entered at'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='applicant_kind',
            field=models.CharField(choices=[('staff', 'Staff member'), ('directorate', 'Directorate'), ('organisation', 'External organisation')], default='staff', max_length=16, verbose_name='who applies'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='correction_days',
            field=models.PositiveSmallIntegerField(default=15, verbose_name='days given to answer a correction'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='draft_expiry_days',
            field=models.PositiveSmallIntegerField(default=30, verbose_name='drafts expire after (days)'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='expiry_notice_days',
            field=models.PositiveSmallIntegerField(default=3, verbose_name='notice before expiry (days)'),
        ),
        migrations.AddField(
            model_name='requesttype',
            name='name_en',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (English)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='actions',
            field=models.JSONField(blank=True, default=requests.models.default_actions, help_text='Among: approve, reject, return, forward, suspend.', verbose_name='actions allowed'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='applicant_text_ar',
            field=models.TextField(blank=True, verbose_name='what the applicant sees (Arabic)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='applicant_text_en',
            field=models.TextField(blank=True, verbose_name='what the applicant sees (English)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='applicant_text_fr',
            field=models.TextField(blank=True, verbose_name='what the applicant sees (French)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='group',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='auth.group', verbose_name='unit or committee members'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='name_ar',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (Arabic)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='name_en',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (English)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='name_fr',
            field=models.CharField(blank=True, max_length=120, verbose_name='name (French)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='norm_days',
            field=models.PositiveSmallIntegerField(default=5, verbose_name='service norm (working days)'),
        ),
        migrations.AddField(
            model_name='workflowstep',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='collab.directorate', verbose_name='directorate'),
        ),
        migrations.AlterField(
            model_name='request',
            name='decider',
            field=models.CharField(blank=True, choices=[('direct_manager', 'Direct manager (or acting manager)'), ('director', "Director of the applicant's directorate"), ('hr_officer', 'HR officer'), ('social_affairs_officer', 'HR officer for social affairs'), ('unit_officers', 'Officers of a named unit'), ('unit_director', 'Director of a named directorate'), ('committee', 'Committee')], max_length=32, verbose_name='decided by'),
        ),
        migrations.AlterField(
            model_name='request',
            name='stage',
            field=models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('manager_decision', 'Manager decision'), ('director_decision', 'Director decision'), ('hr_processing', 'HR processing'), ('review', 'Under review'), ('committee', 'Committee'), ('returned', 'Returned for correction'), ('suspended', 'Suspended'), ('completed', 'Completed'), ('rejected', 'Rejected'), ('cancelled', 'Cancelled'), ('expired', 'Expired')], default='submitted', max_length=20, verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='requesttransition',
            name='action',
            field=models.CharField(choices=[('submitted', 'Submitted'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('returned', 'Returned for correction'), ('resubmitted', 'Resubmitted'), ('forwarded', 'Forwarded'), ('suspended', 'Suspended'), ('resumed', 'Resumed'), ('expired', 'Expired')], max_length=16, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='requesttransition',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AlterField(
            model_name='requesttransition',
            name='from_stage',
            field=models.CharField(blank=True, choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('manager_decision', 'Manager decision'), ('director_decision', 'Director decision'), ('hr_processing', 'HR processing'), ('review', 'Under review'), ('committee', 'Committee'), ('returned', 'Returned for correction'), ('suspended', 'Suspended'), ('completed', 'Completed'), ('rejected', 'Rejected'), ('cancelled', 'Cancelled'), ('expired', 'Expired')], max_length=20, verbose_name='from'),
        ),
        migrations.AlterField(
            model_name='requesttransition',
            name='to_stage',
            field=models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('manager_decision', 'Manager decision'), ('director_decision', 'Director decision'), ('hr_processing', 'HR processing'), ('review', 'Under review'), ('committee', 'Committee'), ('returned', 'Returned for correction'), ('suspended', 'Suspended'), ('completed', 'Completed'), ('rejected', 'Rejected'), ('cancelled', 'Cancelled'), ('expired', 'Expired')], max_length=20, verbose_name='to'),
        ),
        migrations.AlterField(
            model_name='requesttype',
            name='family',
            field=models.CharField(choices=[('leave', 'Leave'), ('certificate', 'Certificate'), ('social', 'Social services'), ('interservice', 'Between directorates')], max_length=16, verbose_name='family'),
        ),
        migrations.AlterField(
            model_name='workflowstep',
            name='decider',
            field=models.CharField(choices=[('direct_manager', 'Direct manager (or acting manager)'), ('director', "Director of the applicant's directorate"), ('hr_officer', 'HR officer'), ('social_affairs_officer', 'HR officer for social affairs'), ('unit_officers', 'Officers of a named unit'), ('unit_director', 'Director of a named directorate'), ('committee', 'Committee')], max_length=32, verbose_name='decided by'),
        ),
        migrations.AlterField(
            model_name='workflowstep',
            name='stage',
            field=models.CharField(choices=[('manager_decision', 'Manager decision'), ('director_decision', 'Director decision'), ('hr_processing', 'HR processing'), ('review', 'Under review'), ('committee', 'Committee')], max_length=20, verbose_name='stage'),
        ),
        migrations.CreateModel(
            name='DocumentRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(default=1, verbose_name='position')),
                ('label_ar', models.CharField(max_length=200, verbose_name='label (Arabic)')),
                ('label_fr', models.CharField(max_length=200, verbose_name='label (French)')),
                ('label_en', models.CharField(blank=True, max_length=200, verbose_name='label (English)')),
                ('accepted_types', models.JSONField(blank=True, default=list, verbose_name='accepted types')),
                ('max_bytes', models.PositiveIntegerField(blank=True, null=True, verbose_name='maximum size (bytes)')),
                ('required', models.BooleanField(default=True, verbose_name='required')),
                ('validity_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='valid for (days after issue)')),
                ('request_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='staff_requests.requesttype', verbose_name='procedure type')),
            ],
            options={
                'verbose_name': 'required document',
                'verbose_name_plural': 'required documents',
                'ordering': ['request_type', 'position', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='IssuedDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=24, unique=True, verbose_name='verification code')),
                ('kind', models.SlugField(max_length=40, verbose_name='kind')),
                ('language', models.CharField(max_length=5, verbose_name='language')),
                ('statement', models.JSONField(default=dict, verbose_name='statement')),
                ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued at')),
                ('valid_until', models.DateField(blank=True, null=True, verbose_name='valid until')),
                ('request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='issued_documents', to='staff_requests.request')),
            ],
            options={
                'verbose_name': 'issued document',
                'verbose_name_plural': 'issued documents',
                'ordering': ['-issued_at'],
            },
        ),
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(verbose_name='message')),
                ('internal', models.BooleanField(default=False, verbose_name='internal note')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('attachments', models.ManyToManyField(blank=True, related_name='+', to='staff_requests.requestattachment')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='staff_requests.request')),
            ],
            options={
                'verbose_name': 'message',
                'verbose_name_plural': 'messages',
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='MessageRead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('read_until', models.DateTimeField(default=django.utils.timezone.now)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='staff_requests.request')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Organisation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                ('name_ar', models.CharField(max_length=200, verbose_name='name (Arabic)')),
                ('name_fr', models.CharField(max_length=200, verbose_name='name (French)')),
                ('name_en', models.CharField(blank=True, max_length=200, verbose_name='name (English)')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('members', models.ManyToManyField(blank=True, related_name='organisations', to=settings.AUTH_USER_MODEL, verbose_name='members')),
            ],
            options={
                'verbose_name': 'organisation',
                'verbose_name_plural': 'organisations',
                'ordering': ['code'],
            },
        ),
        migrations.AddField(
            model_name='request',
            name='applicant_organisation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='staff_requests.organisation', verbose_name='applying organisation'),
        ),
        migrations.AddIndex(
            model_name='request',
            index=models.Index(fields=['current_step', '-created_at', '-id'], name='req_step_recent'),
        ),
        migrations.AddIndex(
            model_name='request',
            index=models.Index(fields=['request_type', 'stage', '-created_at', '-id'], name='req_type_stage_recent'),
        ),
        migrations.AddIndex(
            model_name='request',
            index=models.Index(fields=['requester', '-created_at', '-id'], name='req_requester_recent'),
        ),
        migrations.AddIndex(
            model_name='request',
            index=models.Index(fields=['assignee', '-created_at', '-id'], name='req_assignee_recent'),
        ),
        migrations.AddIndex(
            model_name='request',
            index=models.Index(fields=['due_at'], name='req_due'),
        ),
        migrations.AddField(
            model_name='routingrule',
            name='step',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='staff_requests.workflowstep', verbose_name='step'),
        ),
        migrations.AddField(
            model_name='submitteddocument',
            name='attachment',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='document', to='staff_requests.requestattachment'),
        ),
        migrations.AddField(
            model_name='submitteddocument',
            name='checked_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='submitteddocument',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='staff_requests.request'),
        ),
        migrations.AddField(
            model_name='submitteddocument',
            name='requirement',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='staff_requests.documentrequirement'),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='timeline', to='staff_requests.request'),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='transition',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entry', to='staff_requests.requesttransition'),
        ),
        migrations.AddConstraint(
            model_name='messageread',
            constraint=models.UniqueConstraint(fields=('request', 'user'), name='message_read_once'),
        ),
        migrations.AddConstraint(
            model_name='timelineentry',
            constraint=models.UniqueConstraint(fields=('request', 'seq'), name='timeline_request_seq'),
        ),
    ]
