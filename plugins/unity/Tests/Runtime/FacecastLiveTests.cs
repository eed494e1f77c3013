using System;
using System.Collections;
using NUnit.Framework;
using UnityEngine;
using UnityEngine.TestTools;

namespace Facecast.Tests
{
    /// <summary>Against a running `facecast serve`: set the environment variable FACECAST_TEST_CONTROL
    /// (and FACECAST_TEST_DATA) to its endpoints before starting Unity; skipped otherwise.</summary>
    public sealed class FacecastLiveTests
    {
        [UnityTest]
        public IEnumerator APoseOnlyNpcConnectsAndSpeaks()
        {
            string control = Environment.GetEnvironmentVariable("FACECAST_TEST_CONTROL");
            if (string.IsNullOrEmpty(control)) Assert.Ignore("set FACECAST_TEST_CONTROL (and FACECAST_TEST_DATA) to a running facecast serve");
            string data = Environment.GetEnvironmentVariable("FACECAST_TEST_DATA") ?? "tcp://127.0.0.1:5556";
            var go = new GameObject("live npc");
            go.SetActive(false);
            var client = go.AddComponent<FacecastClient>();
            client.controlEndpoint = control;
            client.dataEndpoint = data;
            client.poseOnly = true;
            client.sessionId = "unity-live-test";
            go.SetActive(true);
            try
            {
                float end = Time.realtimeSinceStartup + 20f;
                while (!client.IsReady && client.State != FacecastClientState.Error && Time.realtimeSinceStartup < end) yield return null;
                Assert.AreEqual(FacecastClientState.Ready, client.State, client.LastError);
                // One second of a vowel-like buzz: the jaw should open.
                var buzz = new float[16000];
                for (int i = 0; i < buzz.Length; i++) buzz[i] = 0.3f * Mathf.Sin(2 * Mathf.PI * 140 * i / 16000f) * (1 + Mathf.Sin(2 * Mathf.PI * 700 * i / 16000f));
                client.PushAudio(buzz, 0, buzz.Length, 16000, 1);
                long first = client.MotionVersion;
                float maxJaw = 0f;
                end = Time.realtimeSinceStartup + 3f;
                while (Time.realtimeSinceStartup < end)
                {
                    maxJaw = Mathf.Max(maxJaw, client.Motion["jawOpen"]);
                    yield return null;
                }
                Assert.Greater(client.MotionVersion - first, 20, "poses arrive");
                Assert.Greater(maxJaw, 0.05f, "the jaw moves with the sound");
            }
            finally
            {
                UnityEngine.Object.Destroy(go);
            }
        }
    }
}
